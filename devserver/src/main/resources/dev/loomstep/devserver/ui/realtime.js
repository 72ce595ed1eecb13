// Realtime on the run page: what the run publishes (step.publish, JS's step.realtime.publish, a client
// publish that names the run), live over server-sent events from GET /v1/runs/{runId}/realtime, which first
// replays what the run already published. run.js calls Loom.runRealtime(runId) once per page; the card lives
// outside the run's body, which is redrawn each second, and its stream closes when the page is left.
"use strict";

(function (L) {
  const { h, when } = L;
  const SHOWN_MAX = 200; // the newest rows are kept; the devserver keeps each run's last 100 anyway

  L.runRealtime = function (runId) {
    const state = h("span", { class: "muted", "data-test": "realtime-state" }, "connecting…");
    const empty = h("p", { class: "muted", "data-test": "realtime-empty" },
      "Nothing published on a realtime channel by this run yet.");
    const rows = h("tbody", {});
    const table = h("table", { class: "facts", "data-test": "realtime-messages", hidden: true },
      h("thead", {}, h("tr", {}, h("th", {}, "At"), h("th", {}, "Channel"), h("th", {}, "Topic"), h("th", {}, "Data"))), rows);
    const card = h("div", { class: "card", id: "run-realtime" },
      h("h2", {}, "Realtime ", state), empty, table);

    const source = new EventSource("/v1/runs/" + L.enc(runId) + "/realtime");
    const stop = () => source.close();
    window.addEventListener("hashchange", stop, { once: true });
    source.onopen = () => { state.textContent = "live"; };
    source.onerror = () => {
      state.textContent = source.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…";
    };
    source.onmessage = (e) => {
      if (!card.isConnected) { stop(); return; }
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      empty.hidden = true;
      table.hidden = false;
      const data = m.kind === "data" ? JSON.stringify(m.data) : m.kind + (m.data === undefined ? "" : " " + JSON.stringify(m.data));
      rows.appendChild(h("tr", { "data-test": "realtime-message", "data-kind": m.kind },
        h("td", {}, m.created_at ? when(m.created_at) : "—"),
        h("td", { class: "mono", "data-test": "realtime-channel" }, m.channel || ""),
        h("td", { class: "mono", "data-test": "realtime-topic" }, m.topic || ""),
        h("td", { class: "mono", "data-test": "realtime-data" }, data)));
      while (rows.childNodes.length > SHOWN_MAX) rows.removeChild(rows.firstChild);
    };
    return card;
  };
})(window.Loom);
