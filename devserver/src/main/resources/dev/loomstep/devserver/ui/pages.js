// An event's page (Replay), the functions and a function's page (Invoke),
// the apps (sync status, Resync) and the send-event form.
"use strict";

(function (L) {
  const { h, append, clear, link, api, when } = L;
  const EVENT_KEY = "dev-ui";

  /** An event's facts and its whole JSON into `box`. */
  async function drawEvent(box, eventId) {
    clear(box);
    if (!eventId) {
      box.appendChild(h("span", { class: "muted" }, "none"));
      return;
    }
    try {
      const e = (await api("GET", "/v1/events/" + L.enc(eventId))).data;
      append(box, [
        h("dl", { class: "facts" },
          h("dt", {}, "Name"), h("dd", { id: "event-name-shown" }, e.name),
          h("dt", {}, "Id"), h("dd", { class: "mono" }, link(L.eventHash(e.id), e.id)),
          h("dt", {}, "Received"), h("dd", {}, when(e.received_at))),
        h("h2", {}, "Data"), L.json(e.data === undefined ? {} : e.data, "event-data-shown"),
        L.collapsedJson("The whole event (JSON)", e, "event-json"),
      ]);
    } catch (err) {
      append(box, [h("span", { class: "mono" }, eventId), " ", h("span", { class: "muted" }, "(" + err.message + ")")]);
    }
  }

  function eventView(eventId) {
    let info, tbody, out;
    return {
      nav: "events",
      render(root) {
        info = h("div", { class: "card" });
        out = h("div", { id: "replay-result" });
        tbody = h("tbody", { id: "event-runs-body" });
        const replay = L.actionButton({ id: "replay-event" }, "Replay", async () => {
          const res = await api("POST", "/v1/events/" + L.enc(eventId) + "/replay", "{}");
          clear(out).appendChild(h("p", {}, "Sent again as ",
            link(L.eventHash(res.ids[0]), res.ids[0], { id: "replayed-event", "data-event-id": res.ids[0], class: "mono" })));
        }, () => root);
        append(root, [
          h("p", {}, link("#/events", "← all events")),
          h("div", { class: "title" }, h("h1", {}, "Event ", h("span", { class: "mono", id: "event-id" }, eventId)), replay),
          out, info,
          h("h2", {}, "Runs it started"),
          L.runsTable("event-runs", tbody, false),
        ]);
        drawEvent(info, eventId);
      },
      async refresh() {
        const runs = (await api("GET", "/v1/events/" + L.enc(eventId) + "/runs")).data;
        clear(tbody);
        if (runs.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 4, class: "empty" },
          "No runs (yet): no synced function matches it, flow control holds or skipped it, or it is still being matched.")));
        for (const r of runs) tbody.appendChild(L.runRow(r, false));
      },
    };
  }

  function functionsView(q) {
    let tbody, all = [];
    const search = h("input", { id: "function-search", type: "search", placeholder: "name, id, app or trigger", size: 34,
      value: q.get("search") || "", oninput: () => draw() });
    function draw() {
      const want = search.value.trim().toLowerCase();
      const fns = all.filter(f => !want || [f.name, f.id, f.app_id].concat((f.triggers || []).map(t => t.event || t.cron || ""))
        .some(x => String(x || "").toLowerCase().includes(want)));
      clear(tbody);
      if (all.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No functions synced yet.")));
      else if (fns.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 5, class: "empty", id: "functions-none" }, "No function matches.")));
      for (const f of fns) {
          tbody.appendChild(h("tr", { "data-test": "function", "data-function-id": f.id },
            h("td", {}, link(L.functionHash(f.id), f.name, { "data-test": "function-name" }), h("div", { class: "muted mono" }, f.id)),
            h("td", {}, f.app_id),
            h("td", { "data-test": "function-triggers" }, (f.triggers || []).map(L.triggerChip)),
            h("td", { "data-test": "function-flow" }, L.flowChips(f.config)),
            h("td", {}, String(f.retries))));
      }
    }
    return {
      nav: "functions",
      render(root) {
        tbody = h("tbody", { id: "functions-body" });
        append(root, [h("h1", {}, "Functions"), h("form", { class: "filters", onsubmit: e => e.preventDefault() }, search),
          h("table", { id: "functions-table" },
            h("thead", {}, h("tr", {}, ["Function", "App", "Triggers", "Flow control", "Retries"].map(t => h("th", {}, t)))), tbody)]);
      },
      async refresh() {
        const fns = (await api("GET", "/v1/functions")).data;
        const key = JSON.stringify(fns);
        if (key === this.drawn) return; // unchanged: the filtered rows stay as they are
        this.drawn = key;
        all = fns;
        draw();
      },
    };
  }

  function functionView(fnId) {
    let info, tbody, held, out;
    return {
      nav: "functions",
      render(root) {
        info = h("div", { class: "card", id: "function-info" });
        held = h("div", { id: "function-held" });
        tbody = h("tbody", { id: "function-runs-body" });
        out = h("div", { id: "invoke-result" });
        const editor = h("textarea", { id: "invoke-data", rows: 6, spellcheck: "false" }, "{}");
        const userEditor = h("textarea", { id: "invoke-user", rows: 2, spellcheck: "false", placeholder: "{} (optional)" });
        const invoke = L.actionButton({ id: "invoke-function" }, "Invoke", async () => {
          clear(out);
          let data;
          try {
            data = editor.value.trim() === "" ? {} : JSON.parse(editor.value);
          } catch (err) {
            throw new Error("Data is not valid JSON: " + err.message);
          }
          if (data === null || typeof data !== "object" || Array.isArray(data)) throw new Error("Data must be a JSON object, like {\"id\": 1}.");
          const body = { data: data };
          if (userEditor.value.trim() !== "") {
            const user = L.parseJson(userEditor.value, "User");
            if (user === null || typeof user !== "object" || Array.isArray(user)) throw new Error("User must be a JSON object, like {\"id\": \"u-1\"}.");
            body.user = user;
          }
          const res = (await api("POST", "/v1/functions/" + L.enc(fnId) + "/invoke", body)).data;
          out.appendChild(res.run_id
            ? h("p", {}, "Started run ", link(L.runHash(res.run_id), res.run_id, { id: "invoked-run", "data-run-id": res.run_id, class: "mono" }))
            : h("p", { class: "msg-error" }, res.message));
          L.poll();
        }, () => invokeCard);
        const invokeCard = h("div", { class: "card invoke", id: "invoke-card" }, h("h2", {}, "Invoke"),
          h("p", { class: "muted" }, "Runs the function with this data as step.invoke does (an inngest/function.invoked event), whatever its triggers."),
          h("label", { for: "invoke-data" }, "Data (a JSON object)"), editor,
          h("label", { for: "invoke-user" }, "User (optional JSON object: event.user)"), userEditor, h("div", {}, invoke), out);
        append(root, [h("p", {}, link("#/functions", "← all functions")),
          h("h1", {}, "Function ", h("span", { class: "mono", id: "function-id" }, fnId)), info, held, invokeCard,
          h("div", { class: "title" }, h("h2", {}, "Recent runs"), link("#/runs?function=" + L.enc(fnId), "all its runs", { id: "function-all-runs" })),
          L.runsTable("function-runs", tbody, true)]);
      },
      async refresh() {
        const [f, runs] = await Promise.all([api("GET", "/v1/functions/" + L.enc(fnId)),
          api("GET", "/v1/runs?limit=20&function=" + L.enc(fnId))]);
        const fn = f.data;
        clear(info).appendChild(h("dl", { class: "facts" },
          h("dt", {}, "Name"), h("dd", { id: "function-name" }, fn.name),
          h("dt", {}, "App"), h("dd", {}, fn.app_id),
          h("dt", {}, "Triggers"), h("dd", { "data-test": "function-triggers" }, (fn.triggers || []).map(L.triggerChip)),
          h("dt", {}, "Flow control"), h("dd", { "data-test": "function-flow" }, L.flowChips(fn.config).length ? L.flowChips(fn.config) : "none"),
          h("dt", {}, "Retries"), h("dd", {}, String(fn.retries)),
          h("dt", {}, "On failure"), h("dd", { "data-test": "function-failure-handler" }, (fn.failure_handlers || []).length === 0 ? "no handler"
            : fn.failure_handlers.map(x => h("span", {}, link(L.functionHash(x.id), x.name, { "data-test": "failure-handler-link" }),
              h("span", { class: "muted" }, " (" + x.retries + (x.retries === 1 ? " retry)" : " retries)"))))),
          h("dt", {}, "URL"), h("dd", { class: "mono" }, fn.url || "—")));
        clear(held);
        if ((fn.held_events || []).length) {
          held.appendChild(h("div", { class: "card" }, h("h2", {}, "Held by flow control"),
            fn.held_events.map(x => h("p", { "data-test": "held-events", "data-kind": x.kind },
              x.kind === "batch" ? "batch of " + x.event_ids.length : "debounce", " · starts by ", when(x.due_at),
              " (" + L.relative(x.due_at) + ") · ", x.event_ids.map(id => link(L.eventHash(id), id, { class: "mono" }))))));
        }
        clear(tbody);
        if (runs.data.length === 0) tbody.appendChild(h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No runs yet.")));
        for (const r of runs.data) tbody.appendChild(L.runRow(r, true));
      },
    };
  }

  function appsView() {
    let box, synced, panel;
    /** Replaces the panel above the list (not rebuilt each second, so what is typed there stays) with `parts`. */
    const show = (...parts) => append(clear(panel), parts);
    const said = (text, error) => show(h("p", { class: error ? "msg-error" : "msg-ok", "data-test": error ? "app-action-error" : "app-action-done" }, text));
    function editUrl(a) {
      const input = h("input", { id: "app-new-url", type: "url", size: 50, value: a.url || "", autocomplete: "off" });
      const save = L.actionButton({ id: "app-url-save" }, "Save and resync", async () => {
        try {
          const res = (await api("PUT", "/v1/apps/" + L.enc(a.id), { url: input.value.trim() })).data;
          said("App " + res.id + " is now served at " + res.url + ".");
        } catch (err) {
          said(err.message, true);
        }
        L.poll();
      }, () => panel);
      show(h("div", { class: "card confirm", id: "app-url-form" }, h("p", {}, "Serve URL of app ", h("strong", {}, a.id), ":"),
        input, " ", save, " ", h("button", { type: "button", class: "secondary", onclick: () => clear(panel) }, "Never mind")));
      input.focus();
    }
    function confirmDelete(a) {
      const yes = L.actionButton({ id: "app-delete-confirm", class: "danger" }, "Yes, delete it", async () => {
        try {
          await api("DELETE", "/v1/apps/" + L.enc(a.id));
          said("App " + a.id + " deleted.");
        } catch (err) {
          said(err.message, true);
        }
        L.poll();
      }, () => panel);
      show(h("div", { class: "card confirm", id: "app-delete-confirmation" },
        h("p", {}, "Delete app ", h("strong", {}, a.id), " and its functions? Their runs stay; its events start nothing until it syncs again."),
        yes, " ", h("button", { type: "button", class: "secondary", onclick: () => clear(panel) }, "Keep it")));
    }
    return {
      nav: "apps",
      render(root) {
        box = h("div", { id: "apps" });
        synced = h("span", { class: "muted", id: "apps-synced" });
        panel = h("div", { id: "app-panel" });
        const url = h("input", { id: "add-app-url", type: "url", size: 50, placeholder: "http://localhost:3000/api/inngest", autocomplete: "off" });
        const add = h("form", { class: "filters", id: "add-app-form" }, url, h("button", { type: "submit", id: "add-app" }, "Add app"));
        add.addEventListener("submit", async e => {
          e.preventDefault();
          try {
            const res = (await api("POST", "/v1/apps", { url: url.value.trim() })).data;
            said("Synced app " + res.id + " from " + res.url + " (" + res.function_count + " functions).");
            url.value = "";
          } catch (err) {
            said(err.message, true);
          }
          L.poll();
        });
        append(root, [h("div", { class: "title" }, h("h1", {}, "Apps"), synced), add, panel, box]);
      },
      async refresh() {
        const [apps, fns] = await Promise.all([api("GET", "/v1/apps"), api("GET", "/v1/functions")]);
        const ok = apps.data.filter(a => a.sync_status !== "error").length;
        synced.textContent = apps.data.length ? ok + " of " + apps.data.length + " synced" : "";
        clear(box);
        if (apps.data.length === 0) {
          box.appendChild(h("p", { class: "empty", id: "apps-empty" },
            "No apps synced yet. Sync one with a PUT to its serve endpoint, the SDK's own sync, or `-u URL`."));
        }
        for (const a of apps.data) {
          const mine = fns.data.filter(f => f.app_id === a.id);
          const card = h("div", { class: "card", "data-test": "app", "data-app-id": a.id });
          const connect = a.connection_type === "connect";
          // A Connect app syncs each time a worker connects: there is no URL to ask for a resync.
          const resync = connect ? null : L.actionButton({ "data-test": "app-resync", class: "secondary" }, "Resync", async () => {
            await api("POST", "/v1/apps/" + L.enc(a.id) + "/resync", "{}");
            L.poll();
          }, () => card);
          const workers = !connect ? null : (a.connections || []).length === 0
            ? h("p", { class: "empty", "data-test": "app-no-workers" }, "No worker connected: calls of this app wait and are retried until one connects.")
            : h("table", { class: "functions", "data-test": "app-connections" },
              h("thead", {}, h("tr", {}, ["Worker", "Status", "Connected", "In flight", "Last heartbeat", "SDK"].map(t => h("th", {}, t)))),
              h("tbody", {}, a.connections.map(c => h("tr", { "data-test": "app-connection", "data-connection-id": c.id },
                h("td", { class: "mono", "data-test": "connection-instance" }, c.instance_id),
                h("td", { "data-test": "connection-status" }, c.status),
                h("td", {}, when(c.connected_at)),
                h("td", { "data-test": "connection-in-flight" }, String(c.in_flight) + (c.max_concurrency ? " / " + c.max_concurrency : "")),
                h("td", {}, when(c.last_heartbeat_at)),
                h("td", {}, c.sdk || "—")))));
          append(card, [
            h("div", { class: "title" }, h("h2", {}, h("span", { "data-test": "app-name" }, a.name || a.id)),
              h("span", { class: "status sync-" + a.sync_status, "data-test": "app-sync-status" }, a.sync_status === "error" ? "sync failed" : a.sync_status === "failing" ? "calls refused" : "synced"),
              resync,
              connect ? null : h("button", { type: "button", class: "secondary", "data-test": "app-change-url", onclick: () => editUrl(a) }, "Change URL"),
              h("button", { type: "button", class: "danger", "data-test": "app-delete", onclick: () => confirmDelete(a) }, "Delete")),
            a.last_sync_error ? h("div", { class: "error" }, h("pre", { "data-test": "app-sync-error" }, a.last_sync_error + " (" + when(a.last_sync_error_at) + ")")) : null,
            a.last_call_error ? h("div", { class: "error" }, h("pre", { "data-test": "app-call-error" }, a.last_call_error + " (" + when(a.last_call_error_at) + ")")) : null,
            h("dl", { class: "facts" },
              h("dt", {}, "URL"), h("dd", { class: "mono", "data-test": "app-url" }, connect ? "served over Connect (no URL)" : a.url || "—"),
              h("dt", {}, "SDK"), h("dd", { "data-test": "app-sdk" }, a.sdk || "—"),
              h("dt", {}, "Framework"), h("dd", { "data-test": "app-framework" }, a.framework || "—"),
              h("dt", {}, "Synced"), h("dd", {}, when(a.synced_at))),
            workers,
            h("table", { class: "functions" },
              h("thead", {}, h("tr", {}, ["Function", "Id", "Triggers", "Retries", ""].map(t => h("th", {}, t)))),
              h("tbody", {}, mine.map(f => h("tr", { "data-test": "function", "data-function-id": f.id },
                h("td", { "data-test": "function-name" }, link(L.functionHash(f.id), f.name)),
                h("td", { class: "id" }, f.id),
                h("td", { "data-test": "function-triggers" }, (f.triggers || []).map(L.triggerChip)),
                h("td", {}, String(f.retries)),
                h("td", {}, link("#/runs?function=" + L.enc(f.id), "runs", { "data-test": "function-runs" })))))),
          ]);
          box.appendChild(card);
        }
      },
    };
  }

  /**
   * The send-event form: name, data, user, id and timestamp; the JSON fields say where they are wrong, an
   * error goes as soon as its field is edited, and "Copy as cURL" gives the same request for a terminal.
   */
  function sendForm() {
    const name = h("input", { id: "event-name", name: "name", required: true, placeholder: "app/user.created", size: 40, autocomplete: "off" });
    const data = h("textarea", { id: "event-data", name: "data", rows: 8, spellcheck: "false" }, "{}");
    const user = h("textarea", { id: "event-user", name: "user", rows: 2, spellcheck: "false", placeholder: "{} (optional)" });
    const ownId = h("input", { id: "event-own-id", name: "id", size: 40, autocomplete: "off", placeholder: "optional: set one to deduplicate" });
    const ts = h("input", { id: "event-ts", name: "ts", size: 30, autocomplete: "off", placeholder: "optional: epoch ms or 2026-01-02T03:04:05Z" });
    const out = h("div", { id: "send-result" });
    const curl = h("pre", { id: "curl-command", hidden: true });
    const button = h("button", { id: "send-event", type: "submit" }, "Send event");
    const copy = h("button", { id: "copy-curl", type: "button", class: "secondary" }, "Copy as cURL");
    const form = h("form", { class: "send card", id: "send-form" },
      h("label", { for: "event-name" }, "Name"), name,
      h("label", { for: "event-data" }, "Data (a JSON object)"), data,
      h("label", { for: "event-user" }, "User (a JSON object, optional)"), user,
      h("label", { for: "event-own-id" }, "Id"), ownId,
      h("label", { for: "event-ts" }, "Timestamp"), ts,
      h("div", {}, button, " ", copy), out, curl);
    const fail = message => clear(out).appendChild(h("p", { class: "msg-error", id: "send-error" }, message));
    function event() {
      const e = { name: name.value.trim() };
      if (!e.name) throw new Error("Name is required, like app/user.created.");
      const object = (field, what) => {
        const v = field.value.trim() === "" ? {} : L.parseJson(field.value, what);
        if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error(what + " must be a JSON object, like {\"id\": 1}.");
        return v;
      };
      e.data = object(data, "Data");
      if (user.value.trim() !== "") e.user = object(user, "User");
      if (ownId.value.trim() !== "") e.id = ownId.value.trim();
      const t = ts.value.trim();
      if (t !== "") {
        const millis = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
        if (isNaN(millis)) throw new Error("Timestamp must be epoch milliseconds or a time like 2026-01-02T03:04:05Z, got \"" + t + "\".");
        e.ts = millis;
      }
      return e;
    }
    // a message about what was typed goes as soon as it is edited: it no longer describes the form
    form.addEventListener("input", () => {
      const old = out.querySelector("#send-error");
      if (old) old.remove();
    });
    copy.addEventListener("click", () => {
      let e;
      try {
        e = event();
      } catch (err) {
        fail(err.message);
        return;
      }
      const quote = x => "'" + x.replace(/'/g, "'\\''") + "'";
      curl.textContent = "curl -X POST " + quote(location.origin + "/e/" + EVENT_KEY) + " -H 'Content-Type: application/json' --data-raw "
        + quote(JSON.stringify(e));
      curl.hidden = false;
      if (navigator.clipboard) navigator.clipboard.writeText(curl.textContent).catch(() => { /* shown on the page */ });
    });
    form.addEventListener("submit", async e => {
      e.preventDefault();
      clear(out);
      let ev;
      try {
        ev = event();
      } catch (err) {
        fail(err.message);
        return;
      }
      button.disabled = true;
      try {
        const res = await api("POST", "/e/" + EVENT_KEY, ev);
        const id = res.ids[0];
        append(out, [h("p", {}, "Sent event ",
          link(L.eventHash(id), id, { id: "sent-event-id", "data-event-id": id, class: "mono" }),
          " — ", link(L.eventHash(id), "see the runs it started", { id: "sent-event-runs" }))]);
        L.poll();
      } catch (err) {
        fail(err.message);
      } finally {
        button.disabled = false;
      }
    });
    return { form: form, focus: () => name.focus() };
  }

  /** "Send event": opens the send form in a dialog over the page (runs and events pages). */
  function sendButton() {
    return h("button", { type: "button", id: "open-send", class: "secondary", onclick: () => {
      const old = document.getElementById("send-dialog");
      if (old) old.remove();
      const f = sendForm();
      const dialog = h("dialog", { id: "send-dialog" },
        h("div", { class: "title" }, h("h2", {}, "Send an event"),
          h("button", { type: "button", id: "close-send", class: "secondary", onclick: () => dialog.close() }, "Close")),
        f.form);
      dialog.addEventListener("close", () => dialog.remove());
      window.addEventListener("hashchange", () => dialog.open && dialog.close(), { once: true }); // a link in it was followed
      document.body.appendChild(dialog);
      dialog.showModal();
      f.focus();
    } }, "Send event");
  }

  function sendView() {
    return {
      nav: "send",
      render(root) {
        const f = sendForm();
        append(root, [h("h1", {}, "Send an event"), f.form]);
        f.focus();
      },
    };
  }

  L.drawEvent = drawEvent;
  L.sendButton = sendButton;
  L.routes["events/:id"] = id => eventView(id);
  L.routes["functions"] = (id, q) => functionsView(q);
  L.routes["functions/:id"] = id => functionView(id);
  L.routes["apps"] = () => appsView();
  L.routes["send"] = () => sendView();
})(window.Loom);
