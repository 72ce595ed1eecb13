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
      h("td", { "data-test": "run-function", title: r.function_id }, r.function_name || r.function_id),
      h("td", {}, L.statusBadge(r.status, "run-status"), " ", L.runFlowChips(r)),
      withStarted ? h("td", { "data-test": "run-started", title: r.run_started_at || r.queued_at || "" },
        L.when(r.run_started_at || r.queued_at)) : null,
      h("td", { "data-test": "run-duration" }, L.duration(L.runDuration(r))));
  }

  function runsTable(id, tbody, withStarted) {
    const cols = ["Run", "Function", "Status", withStarted ? "Started ▾" : null, "Duration"].filter(x => x);
    return h("table", { id: id, class: "runs" }, h("thead", {}, h("tr", {}, cols.map(t => h("th", {}, t)))), tbody);
  }

  function runsView(q) {
    const filter = {
      function: q.get("function") || "", status: q.get("status") || "", search: q.get("search") || "", range: q.get("range") || "",
      app: q.get("app") || "",
    };
    const statuses = new Set(filter.status.split(",").filter(x => STATUSES.includes(x)));
    const live = q.get("live") !== "off";
    // runs another run deferred (step.defer) are listed unless this is set (the REST isDeferred=false)
    const hideDeferred = q.get("deferred") === "hide";
    let tbody, fnSelect, appSelect, more, count, knownFns = "", knownApps = "", older = [], cursor = null, firstCursor = null;
    let appFunctions = null; // the function ids of the app filter's app, once known
    function query(extra) {
      const p = new URLSearchParams({ limit: String(PAGE) });
      if (filter.function) p.set("function", filter.function);
      else if (filter.app) p.set("function", (appFunctions || []).join(","));
      if (statuses.size) p.set("status", STATUSES.filter(x => statuses.has(x)).join(","));
      if (filter.search) p.set("search", filter.search);
      if (hideDeferred) p.set("isDeferred", "false");
      if (RANGE_MS[filter.range]) p.set("from", new Date(Date.now() - RANGE_MS[filter.range]).toISOString());
      for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
      return "/v1/runs?" + p;
    }
    let latest = [];
    function draw() {
      const seen = new Set(latest.map(r => r.run_id));
      const rows = latest.concat(older.filter(r => !seen.has(r.run_id)));
      clear(tbody);
      if (rows.length === 0) {
        tbody.appendChild(h("tr", {}, h("td", { colspan: 5, class: "empty", id: "runs-empty" },
          filter.function || filter.status || filter.search || filter.range || filter.app ? "No runs match the filters." : "No runs yet: send an event.")));
      }
      for (const r of rows) tbody.appendChild(runRow(r, true));
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
        const rangeSelect = h("select", { id: "filter-range", onchange: e => L.setQuery({ range: e.target.value }) },
          RANGES.map(([v, t]) => h("option", { value: v, selected: filter.range === v }, t)));
        const search = h("input", { id: "run-search", type: "search", placeholder: "run id or event id", value: filter.search, size: 30 });
        const form = h("form", { class: "filters", id: "runs-filters" },
          search, h("button", { type: "submit", id: "run-search-go" }, "Search"),
          h("label", {}, "App ", appSelect), h("label", {}, "Function ", fnSelect), stBox, h("label", {}, "Started ", rangeSelect), deferredBox, liveBox);
        form.addEventListener("submit", e => {
          e.preventDefault();
          L.setQuery({ search: search.value.trim() });
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
        append(root, [h("div", { class: "title" }, h("h1", {}, "Runs"), count, L.sendButton()), form, runsTable("runs-table", tbody, true),
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
        const runs = await api("GET", query());
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

  L.runRow = runRow;
  L.runsTable = runsTable;
  L.routes["runs"] = (id, q) => runsView(q);
})(window.Loom);
