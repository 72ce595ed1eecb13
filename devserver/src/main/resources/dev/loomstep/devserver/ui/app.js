// The devserver web UI: a client of the REST API (/v1/...) and the event API (/e/{key}).
// No framework and no build step. Every piece of data is put on the page as text (textContent,
// createTextNode) or as an attribute value, never as HTML; the server's Content-Security-Policy
// allows only this file's script besides.
"use strict";

(function () {
  const POLL_MS = 1000;
  const EVENT_KEY = "dev-ui";
  const STATUSES = ["Running", "Completed", "Failed", "Cancelled"];

  // ------------------------------------------------------------------ DOM and formatting helpers

  /** Builds an element: h("td", {class: "id", "data-test": "run-id"}, "text", childNode, ...). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }

  function link(hash, text, attrs) {
    return h("a", Object.assign({ href: hash }, attrs || {}), text);
  }

  function ms(iso) {
    return iso ? Date.parse(iso) : null;
  }

  function pad(n, w) {
    return String(n).padStart(w || 2, "0");
  }

  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso);
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }

  function duration(millis) {
    if (millis === null || millis === undefined || isNaN(millis)) return "—";
    if (millis < 1000) return Math.max(0, Math.round(millis)) + " ms";
    if (millis < 60000) return (millis / 1000).toFixed(2) + " s";
    const m = Math.floor(millis / 60000);
    if (m < 60) return m + "m " + Math.floor((millis % 60000) / 1000) + "s";
    return Math.floor(m / 60) + "h " + (m % 60) + "m";
  }

  function runDuration(run) {
    const start = ms(run.run_started_at) || ms(run.queued_at);
    if (!start) return null;
    return (ms(run.ended_at) || Date.now()) - start;
  }

  function json(value) {
    return h("pre", { class: "json" }, value === undefined ? "" : JSON.stringify(value, null, 2));
  }

  function statusBadge(status, test) {
    return h("span", { class: "status status-" + status, "data-test": test || "status" }, status);
  }

  function errorBlock(err, test) {
    if (err === null || err === undefined) return null;
    const text = typeof err === "object"
      ? (err.name ? err.name + ": " : "") + (err.message !== undefined ? err.message : JSON.stringify(err))
      : String(err);
    return h("div", { class: "error", "data-test": test || "error" },
      h("pre", {}, text),
      typeof err === "object" && err.stack ? h("details", {}, h("summary", {}, "stack"), h("pre", {}, err.stack)) : null);
  }

  // ------------------------------------------------------------------ REST

  async function api(method, path, body) {
    const init = { method: method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = typeof body === "string" ? body : JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      setConn(false, "devserver unreachable");
      throw new Error("the devserver is unreachable (" + e.message + ")");
    }
    setConn(true);
    let data = null;
    try {
      data = await res.json();
    } catch (e) {
      throw new Error(method + " " + path + " answered " + res.status + " with a body that is not JSON");
    }
    if (!res.ok) throw new Error((data && data.error) || method + " " + path + " answered " + res.status);
    return data;
  }

  function setConn(ok, text) {
    const el = document.getElementById("conn");
    el.className = "conn " + (ok ? "ok" : "down");
    el.textContent = ok ? "live" : text;
  }

  // ------------------------------------------------------------------ views
  // A view is {title, render(root), refresh()}: render builds the static parts once; refresh is
  // called at once and then every POLL_MS while the view is shown, and redraws only the live parts.

  /** The runs list; its filters live in the hash (#/runs?function=ID&status=S), so links and Back keep them. */
  function runsView(runsFilter) {
    let tbody, fnSelect, knownFns = "";
    return {
      nav: "runs",
      render(root) {
        fnSelect = h("select", { id: "filter-function", onchange: e => filterRuns({ function: e.target.value }) },
          h("option", { value: "" }, "all functions"));
        const stSelect = h("select", { id: "filter-status", onchange: e => filterRuns({ status: e.target.value }) },
          h("option", { value: "" }, "all statuses"),
          STATUSES.map(s => h("option", { value: s, selected: runsFilter.status === s }, s)));
        tbody = h("tbody", { id: "runs-body" });
        append(root, [
          h("h1", {}, "Runs"),
          h("div", { class: "filters" }, h("label", {}, "Function ", fnSelect), h("label", {}, "Status ", stSelect)),
          h("table", { id: "runs-table" },
            h("thead", {}, h("tr", {}, ["Run", "Function", "Status", "Started", "Duration"].map(t => h("th", {}, t)))),
            tbody),
        ]);
      },
      async refresh() {
        const q = new URLSearchParams({ limit: "100" });
        if (runsFilter.function) q.set("function", runsFilter.function);
        if (runsFilter.status) q.set("status", runsFilter.status);
        const [runs, fns] = await Promise.all([api("GET", "/v1/runs?" + q), api("GET", "/v1/functions")]);
        const ids = fns.data.map(f => f.id + "\u0000" + f.name).join("\u0001");
        if (ids !== knownFns) {
          knownFns = ids;
          const keep = runsFilter.function;
          clear(fnSelect).appendChild(h("option", { value: "" }, "all functions"));
          for (const f of fns.data) fnSelect.appendChild(h("option", { value: f.id, selected: f.id === keep }, f.name === f.id ? f.id : f.name + " (" + f.id + ")"));
        }
        clear(tbody);
        if (runs.data.length === 0) {
          tbody.appendChild(h("tr", {}, h("td", { colspan: 5, class: "empty", id: "runs-empty" },
            runsFilter.function || runsFilter.status ? "No runs match the filters." : "No runs yet: send an event.")));
        }
        for (const r of runs.data) {
          tbody.appendChild(h("tr", { "data-test": "run-row", "data-run-id": r.run_id, "data-function-id": r.function_id, "data-status": r.status },
            h("td", { class: "id" }, link("#/runs/" + encodeURIComponent(r.run_id), r.run_id, { "data-test": "run-link" })),
            h("td", { "data-test": "run-function", title: r.function_id }, r.function_name || r.function_id),
            h("td", {}, statusBadge(r.status, "run-status")),
            h("td", { "data-test": "run-started", title: r.run_started_at || r.queued_at || "" }, when(r.run_started_at || r.queued_at)),
            h("td", { "data-test": "run-duration" }, duration(runDuration(r)))));
        }
      },
    };
  }

  function runView(runId) {
    let body, eventBox, eventShown = null, drawn = null;
    return {
      nav: "runs",
      render(root) {
        eventBox = h("div", { id: "run-event" }, h("span", { class: "muted" }, "loading…"));
        body = h("div", { id: "run-body" });
        append(root, [
          h("p", {}, link("#/runs", "← all runs")),
          h("h1", {}, "Run ", h("span", { class: "mono", id: "run-id" }, runId)),
          body,
          h("h2", {}, "Triggering event"),
          h("div", { class: "card" }, eventBox),
        ]);
      },
      async refresh() {
        const run = (await api("GET", "/v1/runs/" + encodeURIComponent(runId))).data;
        const key = JSON.stringify(run);
        if (run.status === "Running" || key !== drawn) {
          drawn = key; // a finished run is drawn once, so open details and selections stay put
          drawRun(body, run);
        }
        if (eventShown !== run.event_id) {
          eventShown = run.event_id;
          drawEvent(eventBox, run.event_id);
        }
      },
    };
  }

  function drawRun(body, run) {
    const cancel = run.status === "Running"
      ? h("button", {
        id: "cancel-run", class: "danger", type: "button", onclick: async e => {
          e.target.disabled = true;
          try {
            await api("POST", "/v1/runs/" + encodeURIComponent(run.run_id) + "/cancel", "{}");
            poll();
          } catch (err) {
            e.target.disabled = false;
            alertIn(body, err.message);
          }
        },
      }, "Cancel run")
      : null;
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "Function"), h("dd", { id: "run-function", title: run.function_id }, run.function_name || run.function_id,
        run.app_id ? h("span", { class: "muted" }, " · app " + run.app_id) : null),
      h("dt", {}, "Status"), h("dd", {}, statusBadge(run.status, "run-status"), " ", cancel),
      h("dt", {}, "Queued"), h("dd", {}, when(run.queued_at)),
      h("dt", {}, "Started"), h("dd", {}, when(run.run_started_at)),
      h("dt", {}, "Ended"), h("dd", {}, when(run.ended_at)),
      h("dt", {}, "Duration"), h("dd", { id: "run-duration" }, duration(runDuration(run))),
      run.parent_run_id ? [h("dt", {}, "Invoked by"), h("dd", {}, link("#/runs/" + encodeURIComponent(run.parent_run_id), run.parent_run_id))] : null);
    const result = run.error !== null && run.error !== undefined
      ? h("div", { class: "card" }, h("h2", {}, "Error"), errorBlock(run.error, "run-error"))
      : run.status === "Completed"
        ? h("div", { class: "card" }, h("h2", {}, "Output"), h("div", { id: "run-output" }, json(run.output)))
        : null;
    clear(body);
    append(body, [h("div", { class: "card" }, facts), result, h("h2", {}, "Steps"), timeline(run)]);
  }

  function timeline(run) {
    const steps = run.steps || [];
    const box = h("div", { class: "card timeline", id: "timeline" });
    if (steps.length === 0) {
      box.appendChild(h("p", { class: "empty", id: "timeline-empty" }, "No steps yet."));
      return box;
    }
    const starts = steps.map(s => ms(s.started_at)).filter(x => x);
    const origin = Math.min(ms(run.run_started_at) || Infinity, ...starts);
    // a step still open ends, on the chart, where the run ended (or now, while it runs)
    const openEnd = ms(run.ended_at) || Date.now();
    const ends = steps.map(s => ms(s.ended_at) || openEnd);
    const end = Math.max(openEnd, ...ends);
    const span = Math.max(1, end - origin);
    for (const s of steps) {
      const start = ms(s.started_at);
      const stop = ms(s.ended_at) || (start ? Math.max(start, openEnd) : null);
      const took = s.duration_ms !== null && s.duration_ms !== undefined ? duration(s.duration_ms)
        : start && run.status === "Running" ? duration(Date.now() - start) + " so far" : "—";
      const bar = h("div", { class: "bar op-" + s.op + " st-" + s.status, title: s.status });
      if (start) {
        bar.style.left = (100 * (start - origin) / span).toFixed(2) + "%";
        bar.style.width = Math.max(0.3, 100 * (stop - start) / span).toFixed(2) + "%";
      }
      const result = s.error !== null && s.error !== undefined
        ? errorBlock(s.error, "step-error")
        : s.output !== null && s.output !== undefined ? h("div", { "data-test": "step-output" }, json(s.output)) : null;
      box.appendChild(h("div", { class: "step", "data-test": "step-row", "data-step-id": s.id, "data-step-name": s.name || s.id },
        h("div", {},
          h("div", { class: "name", "data-test": "step-name", title: s.id }, s.name || s.id),
          h("div", { class: "meta" }, h("span", { "data-test": "step-op" }, s.op || "?"), " · ",
            h("span", { "data-test": "step-status" }, s.status)),
          h("div", { class: "meta" }, "started ", when(s.started_at)),
          h("div", { class: "meta" }, h("span", { "data-test": "step-duration" }, took), " · ",
            h("span", { "data-test": "step-attempts" }, String(s.attempts)), s.attempts === 1 ? " attempt" : " attempts")),
        h("div", {}, h("div", { class: "track" }, bar), result)));
    }
    return box;
  }

  async function drawEvent(box, eventId) {
    clear(box);
    if (!eventId) {
      box.appendChild(h("span", { class: "muted" }, "none"));
      return;
    }
    try {
      const e = (await api("GET", "/v1/events/" + encodeURIComponent(eventId))).data;
      append(box, [
        h("dl", { class: "facts" },
          h("dt", {}, "Name"), h("dd", { id: "event-name-shown" }, e.name),
          h("dt", {}, "Id"), h("dd", { class: "mono" }, link("#/events/" + encodeURIComponent(e.id), e.id)),
          h("dt", {}, "Received"), h("dd", {}, when(e.received_at))),
        h("h2", {}, "Data"), json(e.data === undefined ? {} : e.data),
      ]);
    } catch (err) {
      append(box, [h("span", { class: "mono" }, eventId), " ", h("span", { class: "muted" }, "(" + err.message + ")")]);
    }
  }

  function eventView(eventId) {
    let info, tbody;
    return {
      nav: "send",
      render(root) {
        info = h("div", { class: "card" });
        tbody = h("tbody", { id: "event-runs-body" });
        append(root, [
          h("h1", {}, "Event ", h("span", { class: "mono", id: "event-id" }, eventId)),
          info,
          h("h2", {}, "Runs it started"),
          h("table", { id: "event-runs" },
            h("thead", {}, h("tr", {}, ["Run", "Function", "Status", "Duration"].map(t => h("th", {}, t)))), tbody),
        ]);
        drawEvent(info, eventId);
      },
      async refresh() {
        const runs = (await api("GET", "/v1/events/" + encodeURIComponent(eventId) + "/runs")).data;
        clear(tbody);
        if (runs.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 4, class: "empty" }, "No runs (yet): no synced function matches it, or it is still being matched.")));
        for (const r of runs) {
          tbody.appendChild(h("tr", { "data-test": "run-row", "data-run-id": r.run_id, "data-status": r.status },
            h("td", { class: "id" }, link("#/runs/" + encodeURIComponent(r.run_id), r.run_id, { "data-test": "run-link" })),
            h("td", { "data-test": "run-function" }, r.function_name || r.function_id),
            h("td", {}, statusBadge(r.status, "run-status")),
            h("td", {}, duration(runDuration(r)))));
        }
      },
    };
  }

  function appsView() {
    let box;
    return {
      nav: "apps",
      render(root) {
        box = h("div", { id: "apps" });
        append(root, [h("h1", {}, "Apps and functions"), box]);
      },
      async refresh() {
        const [apps, fns] = await Promise.all([api("GET", "/v1/apps"), api("GET", "/v1/functions")]);
        clear(box);
        if (apps.data.length === 0) {
          box.appendChild(h("p", { class: "empty", id: "apps-empty" },
            "No apps synced yet. Sync one with a PUT to its serve endpoint, the SDK's own sync, or `-u URL`."));
        }
        for (const a of apps.data) {
          const mine = fns.data.filter(f => f.app_id === a.id);
          box.appendChild(h("div", { class: "card", "data-test": "app", "data-app-id": a.id },
            h("h2", {}, h("span", { "data-test": "app-name" }, a.name || a.id)),
            h("dl", { class: "facts" },
              h("dt", {}, "URL"), h("dd", { class: "mono", "data-test": "app-url" }, a.url || "—"),
              h("dt", {}, "SDK"), h("dd", {}, [a.sdk, a.framework].filter(x => x).join(" · ") || "—"),
              h("dt", {}, "Synced"), h("dd", {}, when(a.synced_at))),
            h("table", { class: "functions" },
              h("thead", {}, h("tr", {}, ["Function", "Id", "Triggers", "Retries", ""].map(t => h("th", {}, t)))),
              h("tbody", {}, mine.map(f => h("tr", { "data-test": "function", "data-function-id": f.id },
                h("td", { "data-test": "function-name" }, f.name),
                h("td", { class: "id" }, f.id),
                h("td", { "data-test": "function-triggers" }, (f.triggers || []).map(triggerChip)),
                h("td", {}, String(f.retries)),
                h("td", {}, link(runsHash({ function: f.id }), "runs", { "data-test": "function-runs" }))))))));
        }
      },
    };
  }

  function triggerChip(t) {
    if (t.cron) return h("span", { class: "trigger", "data-test": "trigger" }, "cron " + t.cron);
    if (t.event) return h("span", { class: "trigger", "data-test": "trigger" }, t.event + (t.expression ? " if " + t.expression : ""));
    return h("span", { class: "trigger", "data-test": "trigger" }, JSON.stringify(t));
  }

  function sendView() {
    return {
      nav: "send",
      render(root) {
        const name = h("input", { id: "event-name", name: "name", required: true, placeholder: "app/user.created", size: 40, autocomplete: "off" });
        const data = h("textarea", { id: "event-data", name: "data", rows: 8, spellcheck: "false" }, "{}");
        const out = h("div", { id: "send-result" });
        const button = h("button", { id: "send-event", type: "submit" }, "Send event");
        const form = h("form", { class: "send card", id: "send-form" },
          h("label", { for: "event-name" }, "Name"), name,
          h("label", { for: "event-data" }, "Data (a JSON object)"), data,
          h("div", {}, button), out);
        form.addEventListener("submit", async e => {
          e.preventDefault();
          clear(out);
          let parsed;
          try {
            parsed = data.value.trim() === "" ? {} : JSON.parse(data.value);
          } catch (err) {
            out.appendChild(h("p", { class: "msg-error", id: "send-error" }, "Data is not valid JSON: " + err.message));
            return;
          }
          if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
            out.appendChild(h("p", { class: "msg-error", id: "send-error" }, "Data must be a JSON object, like {\"id\": 1}."));
            return;
          }
          button.disabled = true;
          try {
            const res = await api("POST", "/e/" + EVENT_KEY, { name: name.value.trim(), data: parsed });
            const id = res.ids[0];
            append(out, [h("p", {}, "Sent event ",
              link("#/events/" + encodeURIComponent(id), id, { id: "sent-event-id", "data-event-id": id, class: "mono" }),
              " — ", link("#/events/" + encodeURIComponent(id), "see the runs it started", { id: "sent-event-runs" }))]);
          } catch (err) {
            out.appendChild(h("p", { class: "msg-error", id: "send-error" }, err.message));
          } finally {
            button.disabled = false;
          }
        });
        append(root, [h("h1", {}, "Send an event"), form]);
        name.focus();
      },
    };
  }

  function alertIn(root, message) {
    root.insertBefore(h("p", { class: "msg-error", "data-test": "view-error" }, message), root.firstChild);
  }

  // ------------------------------------------------------------------ routing and polling

  let current = null;
  let generation = 0;
  let timer = null;
  let pollChain = 0; // only the newest poll() schedules the next one, so a click never starts a second loop

  function route() {
    const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
    const parts = (path || "runs").split("/").map(decodeURIComponent);
    const query = new URLSearchParams(search || "");
    if (parts[0] === "runs" && parts[1]) return runView(parts[1]);
    if (parts[0] === "runs") return runsView({ function: query.get("function") || "", status: query.get("status") || "" });
    if (parts[0] === "events" && parts[1]) return eventView(parts[1]);
    if (parts[0] === "apps") return appsView();
    if (parts[0] === "send") return sendView();
    return runsView({ function: "", status: "" });
  }

  function runsHash(filter) {
    const q = new URLSearchParams();
    if (filter.function) q.set("function", filter.function);
    if (filter.status) q.set("status", filter.status);
    const s = q.toString();
    return "#/runs" + (s ? "?" + s : "");
  }

  /** Changes one filter of the runs list, keeping the other; the hash change redraws the list. */
  function filterRuns(change) {
    const [, search] = location.hash.split("?");
    const q = new URLSearchParams(search || "");
    location.hash = runsHash(Object.assign({ function: q.get("function") || "", status: q.get("status") || "" }, change));
  }

  function show() {
    generation++;
    current = route();
    const root = clear(document.getElementById("view"));
    for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.id === "nav-" + current.nav);
    current.render(root);
    poll();
  }

  /** Refreshes the current view now, and then every POLL_MS; a stale answer (view changed) is dropped. */
  async function poll() {
    clearTimeout(timer);
    const view = current, gen = generation, chain = ++pollChain;
    if (view.refresh) {
      try {
        await view.refresh();
        const old = document.querySelector("[data-test=view-error]");
        if (old) old.remove();
      } catch (err) {
        if (gen === generation && !document.querySelector("[data-test=view-error]")) alertIn(document.getElementById("view"), err.message);
      }
    }
    if (gen === generation && chain === pollChain) timer = setTimeout(poll, POLL_MS);
  }

  window.addEventListener("hashchange", show);
  show();
})();
