// The runs list (#/runs): search by run or event id, filters by function, status and time range,
// all kept in the URL; the newest page refreshes live, older pages load on demand.
"use strict";

(function (L) {
  const { h, append, clear, link, api } = L;
  const STATUSES = ["Running", "Completed", "Failed", "Cancelled"];
  const RANGES = [["", "any time"], ["15m", "last 15 minutes"], ["1h", "last hour"], ["24h", "last 24 hours"], ["7d", "last 7 days"]];
  const RANGE_MS = { "15m": 900e3, "1h": 3600e3, "24h": 86400e3, "7d": 604800e3 };
  const PAGE = 100;

  /** The run rows of a table (also used by the event and function pages). */
  function runRow(r, withStarted) {
    return h("tr", { "data-test": "run-row", "data-run-id": r.run_id, "data-function-id": r.function_id, "data-status": r.status },
      h("td", { class: "id" }, link(L.runHash(r.run_id), r.run_id, { "data-test": "run-link" })),
      h("td", { "data-test": "run-function", title: r.function_id }, r.function_name || r.function_id,
        r.durable_endpoint ? h("span", { class: "muted", "data-test": "run-endpoint", title: r.durable_endpoint.url }, " · HTTP " + r.durable_endpoint.method) : null),
      h("td", {}, L.statusBadge(r.status, "run-status"), " ", L.runFlowChips(r)),
      withStarted ? h("td", { "data-test": "run-started", title: r.run_started_at || r.queued_at || "" },
        L.when(r.run_started_at || r.queued_at)) : null,
      h("td", { "data-test": "run-duration" }, L.duration(L.runDuration(r))));
  }

  function runsTable(id, tbody, withStarted) {
    const cols = ["Run", "Function", "Status", withStarted ? "Started ▾" : null, "Duration"].filter(x => x);
    return h("table", { id: id, class: "runs" }, h("thead", {}, h("tr", {}, cols.map(t => h("th", {}, t)))), tbody);
  }

  // The runs page's columns: Run always, the rest picked (and remembered in localStorage).
  const COLUMNS = [
    ["trigger", "Trigger", r => h("td", { "data-test": "run-trigger", title: r.event_name || "" },
      r.event_name ? r.event_name + (r.event_count > 1 ? " ×" + r.event_count : "") : "—")],
    ["function", "Function", r => h("td", { "data-test": "run-function", title: r.function_id }, r.function_name || r.function_id)],
    ["app", "App", r => h("td", { "data-test": "run-app" }, r.app_id || "—")],
    ["status", "Status", r => h("td", {}, L.statusBadge(r.status, "run-status"), " ", L.runFlowChips(r))],
    ["queued", "Queued", r => h("td", { "data-test": "run-queued", title: r.queued_at || "" }, L.when(r.queued_at))],
    ["started", "Started ▾", r => h("td", { "data-test": "run-started", title: r.run_started_at || r.queued_at || "" },
      L.when(r.run_started_at || r.queued_at))],
    ["ended", "Ended", r => h("td", { "data-test": "run-ended", title: r.ended_at || "" }, L.when(r.ended_at))],
    ["duration", "Duration", r => h("td", { "data-test": "run-duration" }, L.duration(L.runDuration(r)))],
  ];
  const DEFAULT_COLUMNS = ["function", "status", "started", "duration"];
  const COLUMNS_KEY = "loomstep.runs.columns";

  function shownColumns() {
    try {
      const saved = JSON.parse(localStorage.getItem(COLUMNS_KEY));
      if (Array.isArray(saved)) return COLUMNS.filter(c => saved.includes(c[0]));
    } catch (e) { /* nothing saved, or not readable: the default */ }
    return COLUMNS.filter(c => DEFAULT_COLUMNS.includes(c[0]));
  }

  /** A datetime-local input's value (local time) as an ISO instant, or "" for none. */
  function isoOf(local) {
    if (!local) return "";
    const d = new Date(local);
    return isNaN(d.getTime()) ? "" : d.toISOString();
  }

  /** An ISO instant as a datetime-local input's value (local time, to the second). */
  function localOf(iso) {
    const d = iso ? new Date(iso) : null;
    if (!d || isNaN(d.getTime())) return "";
    const p = n => String(n).padStart(2, "0");
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + "T" + p(d.getHours()) + ":" + p(d.getMinutes()) + ":" + p(d.getSeconds());
  }

  function runsView(q) {
    const filter = {
      function: q.get("function") || "", status: q.get("status") || "", search: q.get("search") || "", range: q.get("range") || "",
      app: q.get("app") || "", field: q.get("field") || "started", from: q.get("from") || "", until: q.get("until") || "",
      expression: q.get("expression") || "",
    };
    let expressionError = null; // a bad expression is said once, and not asked again until it changes
    let columns = shownColumns();
    const expanded = new Map(); // run id -> the inline view's box, kept across refreshes
    const statuses = new Set(filter.status.split(",").filter(x => STATUSES.includes(x)));
    const live = q.get("live") !== "off";
    // runs another run deferred (step.defer) are listed unless this is set (the REST isDeferred=false)
    const hideDeferred = q.get("deferred") === "hide";
    let tbody, fnSelect, appSelect, more, count, total, exprError, knownFns = "", knownApps = "", older = [], cursor = null, firstCursor = null;
    let appFunctions = null; // the function ids of the app filter's app, once known
    function query(extra) {
      const p = new URLSearchParams({ limit: String(PAGE) });
      if (filter.function) p.set("function", filter.function);
      else if (filter.app) p.set("function", (appFunctions || []).join(","));
      if (statuses.size) p.set("status", STATUSES.filter(x => statuses.has(x)).join(","));
      if (filter.search) p.set("search", filter.search);
      if (hideDeferred) p.set("isDeferred", "false");
      if (filter.expression) p.set("expression", filter.expression);
      if (filter.from) p.set("from", filter.from);
      else if (RANGE_MS[filter.range]) p.set("from", new Date(Date.now() - RANGE_MS[filter.range]).toISOString());
      if (filter.until) p.set("until", filter.until);
      if (filter.field !== "started") p.set("time_field", filter.field);
      for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
      return "/v1/runs?" + p;
    }
    let latest = [];
    function draw() {
      const seen = new Set(latest.map(r => r.run_id));
      const rows = latest.concat(older.filter(r => !seen.has(r.run_id)));
      clear(tbody);
      if (rows.length === 0) {
        tbody.appendChild(h("tr", {}, h("td", { colspan: columns.length + 1, class: "empty", id: "runs-empty" },
          filter.function || filter.status || filter.search || filter.range || filter.app || filter.from || filter.until || filter.expression
            ? "No runs match the filters." : "No runs yet: send an event.")));
      }
      for (const r of rows) {
        const open = expanded.has(r.run_id);
        const toggle = h("button", { type: "button", class: "secondary small expand", "data-test": "run-expand", "aria-expanded": String(open),
          title: open ? "hide the run" : "show the run here", onclick: () => {
            if (expanded.has(r.run_id)) expanded.delete(r.run_id); else expanded.set(r.run_id, inlineRun(r.run_id));
            draw();
          } }, open ? "▾" : "▸");
        tbody.appendChild(h("tr", { "data-test": "run-row", "data-run-id": r.run_id, "data-function-id": r.function_id, "data-status": r.status },
          h("td", { class: "id" }, toggle, " ", link(L.runHash(r.run_id), r.run_id, { "data-test": "run-link" })),
          columns.map(c => c[2](r))));
        if (open) tbody.appendChild(h("tr", { class: "run-inline-row", "data-test": "run-inline-row", "data-run-id": r.run_id },
          h("td", { colspan: columns.length + 1 }, expanded.get(r.run_id))));
      }
      const next = older.length ? cursor : firstCursor;
      more.hidden = !next;
      count.textContent = rows.length + (next ? "+ runs" : rows.length === 1 ? " run" : " runs");
    }
    return {
      nav: "runs",
      render(root) {
        fnSelect = h("select", { id: "filter-function", onchange: e => L.setQuery({ function: e.target.value }) },
          h("option", { value: "" }, "all functions"));
        if (filter.function) fnSelect.appendChild(h("option", { value: filter.function, selected: true }, filter.function));
        appSelect = h("select", { id: "filter-app", onchange: e => L.setQuery({ app: e.target.value }) },
          h("option", { value: "" }, "all apps"));
        if (filter.app) appSelect.appendChild(h("option", { value: filter.app, selected: true }, filter.app));
        // several statuses at once: one checkbox each, none checked means all
        const stBox = h("span", { id: "filter-status", class: "checks", role: "group", "aria-label": "Status" },
          STATUSES.map(st => h("label", {}, h("input", { type: "checkbox", id: "filter-status-" + st, value: st, checked: statuses.has(st),
            onchange: e => {
              if (e.target.checked) statuses.add(st); else statuses.delete(st);
              L.setQuery({ status: STATUSES.filter(x => statuses.has(x)).join(",") });
            } }), " " + st)));
        const liveBox = h("label", { title: "refresh the newest page every second" },
          h("input", { type: "checkbox", id: "runs-live", checked: live, onchange: e => L.setQuery({ live: e.target.checked ? "" : "off" }) }),
          " auto-refresh");
        const deferredBox = h("label", { title: "leave out runs that another run deferred (step.defer)" },
          h("input", { type: "checkbox", id: "filter-hide-deferred", checked: hideDeferred,
            onchange: e => L.setQuery({ deferred: e.target.checked ? "hide" : "" }) }),
          " hide deferred");
        const rangeSelect = h("select", { id: "filter-range", onchange: e => L.setQuery({ range: e.target.value, from: "", until: "" }) },
          RANGES.map(([v, t]) => h("option", { value: v, selected: filter.range === v && !filter.from && !filter.until }, t)));
        const fieldSelect = h("select", { id: "filter-time-field", title: "the time the range applies to",
          onchange: e => L.setQuery({ field: e.target.value === "started" ? "" : e.target.value }) },
          [["queued", "Queued"], ["started", "Started"], ["ended", "Ended"]].map(([v, t]) => h("option", { value: v, selected: filter.field === v }, t)));
        const fromInput = h("input", { type: "datetime-local", step: "1", id: "filter-from", value: localOf(filter.from), title: "from (inclusive)" });
        const untilInput = h("input", { type: "datetime-local", step: "1", id: "filter-until", value: localOf(filter.until), title: "until (exclusive)" });
        const applyRange = h("button", { type: "button", id: "filter-range-apply", class: "secondary",
          onclick: () => L.setQuery({ from: isoOf(fromInput.value), until: isoOf(untilInput.value), range: "" }) }, "Apply range");
        const picker = h("details", { class: "column-picker", id: "column-picker" }, h("summary", {}, "Columns"),
          COLUMNS.map(([key, label]) => h("label", {}, h("input", { type: "checkbox", id: "column-" + key, checked: columns.some(c => c[0] === key),
            onchange: e => {
              const keys = COLUMNS.filter(c => c[0] === key ? e.target.checked : columns.some(x => x[0] === c[0])).map(c => c[0]);
              localStorage.setItem(COLUMNS_KEY, JSON.stringify(keys));
              columns = shownColumns();
              const table = document.getElementById("runs-table");
              table.replaceChild(header(), table.tHead);
              draw();
            } }), " " + label.replace(" ▾", ""))));
        const header = () => h("thead", {}, h("tr", {}, h("th", {}, "Run"), columns.map(c => h("th", { "data-column": c[0] }, c[1]))));
        const search = h("input", { id: "run-search", type: "search", placeholder: "run id or event id", value: filter.search, size: 30 });
        const expression = h("input", { id: "run-expression", type: "search", size: 40, value: filter.expression, spellcheck: "false",
          placeholder: "CEL: event.data.user == \"ann\" && output.total > 3",
          title: "CEL over the run's event, output and run (run.status, run.function_id); Enter searches" });
        const form = h("form", { class: "filters", id: "runs-filters" },
          search, expression, h("button", { type: "submit", id: "run-search-go" }, "Search"),
          h("label", {}, "App ", appSelect), h("label", {}, "Function ", fnSelect), stBox,
          h("span", { class: "time-filter" }, fieldSelect, " ", rangeSelect, " or ", fromInput, " – ", untilInput, " ", applyRange), deferredBox, liveBox, picker);
        form.addEventListener("submit", e => {
          e.preventDefault();
          L.setQuery({ search: search.value.trim(), expression: expression.value.trim() });
        });
        tbody = h("tbody", { id: "runs-body" });
        count = h("span", { class: "muted", id: "runs-count" });
        more = L.actionButton({ id: "runs-more", class: "secondary" }, "Load older runs", async () => {
          const next = older.length ? cursor : firstCursor;
          const page = await api("GET", query({ cursor: next }));
          older = older.concat(page.data);
          cursor = page.next_cursor;
          draw();
        }, () => root);
        total = h("span", { class: "muted", id: "runs-total" });
        exprError = h("p", { class: "msg-error", id: "run-expression-error", hidden: true });
        append(root, [h("div", { class: "title" }, h("h1", {}, "Runs"), count, total, L.sendButton()), form, exprError,
          h("table", { id: "runs-table", class: "runs" }, header(), tbody),
          h("div", { class: "more" }, more)]);
      },
      async refresh() {
        if (!live && tbody.childElementCount > 0) return; // paused: the page stays as it is until refreshed or resumed
        const fns = await api("GET", "/v1/functions");
        const apps = [...new Set(fns.data.map(f => f.app_id))].sort();
        if (apps.join("\u0001") !== knownApps) {
          knownApps = apps.join("\u0001");
          clear(appSelect).appendChild(h("option", { value: "" }, "all apps"));
          for (const a of apps) appSelect.appendChild(h("option", { value: a, selected: a === filter.app }, a));
          if (filter.app && !apps.includes(filter.app)) appSelect.appendChild(h("option", { value: filter.app, selected: true }, filter.app + " (not synced)"));
        }
        appFunctions = fns.data.filter(f => f.app_id === filter.app).map(f => f.id);
        if (filter.app && !filter.function && appFunctions.length === 0) { // an app with no function synced now
          latest = [];
          firstCursor = null;
          draw();
          return;
        }
        if (expressionError) return;
        let runs;
        try {
          runs = await api("GET", query({ count: "true" }));
        } catch (err) {
          if (!filter.expression || !err.message.startsWith("expression:")) throw err;
          expressionError = err.message;
          exprError.textContent = err.message;
          exprError.hidden = false;
          latest = [];
          firstCursor = null;
          draw();
          return;
        }
        total.textContent = runs.total === null || runs.total === undefined ? "" : "· " + runs.total + " in all";
        for (const box of expanded.values()) box.refresh();
        const ids = fns.data.map(f => f.id + "\u0000" + f.name).join("\u0001");
        if (ids !== knownFns) {
          knownFns = ids;
          const keep = filter.function;
          clear(fnSelect).appendChild(h("option", { value: "" }, "all functions"));
          let found = !keep;
          for (const f of fns.data) {
            if (filter.app && f.app_id !== filter.app) continue;
            const own = f.id.startsWith(f.app_id + "-") ? f.id.slice(f.app_id.length + 1) : null;
            const selected = keep === f.id || keep === own;
            found = found || selected;
            fnSelect.appendChild(h("option", { value: f.id, selected: selected }, f.name === f.id ? f.id : f.name + " (" + f.id + ")"));
          }
          if (!found) fnSelect.appendChild(h("option", { value: keep, selected: true }, keep + " (not synced)"));
        }
        latest = runs.data;
        firstCursor = runs.next_cursor;
        draw();
      },
    };
  }

  /** A run shown inside the runs list: status, times, output or error, and its steps; refreshed with the list. */
  function inlineRun(runId) {
    const box = h("div", { class: "run-inline", "data-test": "run-inline" }, h("span", { class: "muted" }, "loading…"));
    box.refresh = async () => {
      let run;
      try {
        run = (await api("GET", "/v1/runs/" + L.enc(runId))).data;
      } catch (err) {
        clear(box).appendChild(h("p", { class: "msg-error" }, err.message));
        return;
      }
      clear(box);
      append(box, [
        h("p", {}, L.statusBadge(run.status, "inline-status"), " · queued ", L.when(run.queued_at), " · started ", L.when(run.run_started_at),
          " · ended ", L.when(run.ended_at), " · ", link(L.runHash(run.run_id), "open the run", { "data-test": "inline-open" })),
        run.error !== null && run.error !== undefined ? L.errorBlock(run.error, "inline-error")
          : run.status === "Completed" ? L.collapsedJson("Output", run.output, "inline-output", true, "inline-output:" + runId) : null,
        h("ol", { class: "inline-steps", "data-test": "inline-steps" }, (run.steps || []).map(st =>
          h("li", { "data-test": "inline-step", "data-step-name": st.name || st.id }, st.name || st.id, " · ", st.op || "?", " · ",
            L.statusBadge(st.status, "inline-step-status"), st.duration_ms !== null && st.duration_ms !== undefined ? " · " + L.duration(st.duration_ms) : ""))),
      ]);
    };
    box.refresh();
    return box;
  }

  L.isoOf = isoOf;
  L.localOf = localOf;
  L.runRow = runRow;
  L.runsTable = runsTable;
  L.routes["runs"] = (id, q) => runsView(q);
})(window.Loom);
