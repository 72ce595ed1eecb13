// The events stream (#/events): search by id or name start, a time range, older pages, and each
// event expandable inline with its payload and the runs it started.
"use strict";

(function (L) {
  const { h, append, clear, link, api, when } = L;
  const RANGES = [["", "any time"], ["15m", "last 15 minutes"], ["1h", "last hour"], ["24h", "last 24 hours"], ["7d", "last 7 days"]];
  const RANGE_MS = { "15m": 900e3, "1h": 3600e3, "24h": 86400e3, "7d": 604800e3 };

  function eventsView(q) {
    const search = q.get("search") || "";
    const internal = q.get("internal") === "true";
    const range = q.get("range") || "", from = q.get("from") || "", until = q.get("until") || "";
    const expanded = new Set(); // event ids shown inline, kept across refreshes
    let tbody, more, older = [], cursor = null, firstCursor = null, latest = [];
    const url = extra => {
      const p = new URLSearchParams(Object.assign({ limit: "100", include_runs: "true" },
        search ? { search: search } : {}, internal ? {} : { internal: "false" }, extra || {}));
      if (from) p.set("from", from);
      else if (RANGE_MS[range]) p.set("from", new Date(Date.now() - RANGE_MS[range]).toISOString());
      if (until) p.set("until", until);
      return "/v1/events?" + p;
    };
    function draw() {
      const seen = new Set(latest.map(e => e.id));
      const rows = latest.concat(older.filter(e => !seen.has(e.id)));
      clear(tbody);
      if (rows.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 4, class: "empty", id: "events-empty" },
        search ? "No event has that id or a name starting with it." : range || from || until ? "No events in that time range." : "No events yet.")));
      for (const e of rows) {
        const open = expanded.has(e.id);
        const toggle = h("button", { type: "button", class: "secondary small expand", "data-test": "event-expand", "aria-expanded": String(open),
          title: open ? "hide the event" : "show the payload and runs here",
          onclick: () => { if (open) expanded.delete(e.id); else expanded.add(e.id); draw(); } }, open ? "▾" : "▸");
        tbody.appendChild(h("tr", { "data-test": "event-row", "data-event-id": e.id, "data-event-name": e.name },
          h("td", { "data-test": "event-name" }, toggle, " ", link(L.eventHash(e.id), e.name)),
          h("td", { class: "id" }, link(L.eventHash(e.id), e.id, { "data-test": "event-link" })),
          h("td", {}, when(e.received_at || (e.ts ? new Date(e.ts).toISOString() : null))),
          h("td", { "data-test": "event-runs" }, (e.runs || []).length === 0 ? h("span", { class: "muted" }, "none")
            : e.runs.map(r => link(L.runHash(r.run_id), r.function_id, { class: "chip run-chip status-" + r.status, title: r.status + " · " + r.run_id })))));
        if (open) tbody.appendChild(h("tr", { class: "event-inline-row", "data-test": "event-inline-row", "data-event-id": e.id },
          h("td", { colspan: 4 }, h("div", { class: "run-inline", "data-test": "event-inline" },
            h("h3", {}, "Payload"), L.json(e, "event-inline-payload"),
            h("h3", {}, "Runs"), (e.runs || []).length === 0 ? h("p", { class: "muted", "data-test": "event-inline-no-runs" }, "No runs (yet).")
              : h("ul", { "data-test": "event-inline-runs" }, e.runs.map(r => h("li", { "data-test": "event-inline-run", "data-run-id": r.run_id },
                link(L.runHash(r.run_id), r.run_id, { class: "mono" }), " · ", r.function_id, " · ", L.statusBadge(r.status))))))));
      }
      more.hidden = !(older.length ? cursor : firstCursor);
    }
    return {
      nav: "events",
      render(root) {
        const input = h("input", { id: "event-search", type: "search", placeholder: "event id or name", value: search, size: 34 });
        const rangeSelect = h("select", { id: "events-range", onchange: e => L.setQuery({ range: e.target.value, from: "", until: "" }) },
          RANGES.map(([v, t]) => h("option", { value: v, selected: range === v && !from && !until }, t)));
        const fromInput = h("input", { type: "datetime-local", step: "1", id: "events-from", value: L.localOf(from), title: "received from (inclusive)" });
        const untilInput = h("input", { type: "datetime-local", step: "1", id: "events-until", value: L.localOf(until), title: "received until (exclusive)" });
        const apply = h("button", { type: "button", id: "events-range-apply", class: "secondary",
          onclick: () => L.setQuery({ from: L.isoOf(fromInput.value), until: L.isoOf(untilInput.value), range: "" }) }, "Apply range");
        const form = h("form", { class: "filters" }, input, h("button", { type: "submit", id: "event-search-go" }, "Search"),
          h("span", { class: "time-filter" }, "Received ", rangeSelect, " or ", fromInput, " – ", untilInput, " ", apply),
          h("label", {}, h("input", { type: "checkbox", id: "events-internal", checked: internal,
            onchange: e => L.setQuery({ internal: e.target.checked ? "true" : "" }) }), " show inngest/… events"));
        form.addEventListener("submit", e => {
          e.preventDefault();
          L.setQuery({ search: input.value.trim() });
        });
        tbody = h("tbody", { id: "events-body" });
        more = L.actionButton({ id: "events-more", class: "secondary" }, "Load older events", async () => {
          const page = await api("GET", url({ cursor: older.length ? cursor : firstCursor }));
          older = older.concat(page.data);
          cursor = page.next_cursor;
          draw();
        }, () => root);
        append(root, [h("div", { class: "title" }, h("h1", {}, "Events"), L.sendButton()), form,
          h("table", { id: "events-table" }, h("thead", {}, h("tr", {}, ["Name", "Id", "Received ▾", "Runs"].map(t => h("th", {}, t)))), tbody),
          h("div", { class: "more" }, more)]);
      },
      async refresh() {
        const page = await api("GET", url());
        latest = page.data;
        firstCursor = page.next_cursor;
        draw();
      },
    };
  }


  L.routes["events"] = (id, q) => eventsView(q);
})(window.Loom);
