// A run's page (#/runs/{id}): facts, Cancel and Rerun, flow-control state, invoke links both ways,
// output or error, and the trace as a waterfall: steps in start order on the run's time axis, steps
// that ran at overlapping times grouped as one collapsible parallel block, outputs collapsed with
// their size, and for each step what it waited for and every failed attempt.
"use strict";

(function (L) {
  const { h, append, clear, link, api, ms, when, duration } = L;
  const OPEN_GROUP_MAX = 8; // bigger parallel groups start collapsed
  // An open group draws its branches a page at a time; a collapsed one draws none, so a fan-out of
  // 10,000 branches costs the page one row until it is opened, and a page of rows per "show more".
  const GROUP_PAGE = 200;

  function runView(runId) {
    let body, eventBox, eventShown = null, drawn = null;
    const openGroups = new Map(); // group key -> {open, shown}, kept across redraws
    openGroups.zoom = { from: 0, to: 1 }; // the trace's shown window, as fractions of the run's time axis
    // What Cancel and Rerun answered: outside the body, which is rebuilt each second on a running run
    const notice = h("div", { id: "run-notice" });
    return {
      nav: "runs",
      render(root) {
        eventBox = h("div", { id: "run-event" }, h("span", { class: "muted" }, "loading…"));
        body = h("div", { id: "run-body" });
        append(root, [
          h("p", {}, link("#/runs", "← all runs")),
          h("h1", {}, "Run ", h("span", { class: "mono", id: "run-id" }, runId)),
          notice,
          body,
          L.runRealtime(runId),
          h("h2", {}, "Triggering event"),
          h("div", { class: "card" }, eventBox),
        ]);
      },
      async refresh() {
        const run = (await api("GET", "/v1/runs/" + L.enc(runId))).data;
        const key = JSON.stringify(run);
        if (run.status === "Running" || key !== drawn) {
          drawn = key; // a finished run is drawn once, so open details and selections stay put
          openGroups.redraw = () => L.keepOpen(body, () => drawRun(body, run, openGroups, notice));
          openGroups.redraw();
        }
        if (eventShown !== run.event_id) {
          eventShown = run.event_id;
          if ((run.batch_events || []).length > 1) {
            drawBatch(eventBox, run.batch_events);
          } else {
            L.drawEvent(eventBox, run.event_id);
          }
        }
      },
    };
  }

  /** A batch run's trigger panel: every event of the batch, each with its name, id, time and data. */
  function drawBatch(box, events) {
    clear(box);
    append(box, [h("p", { id: "batch-count" }, "A batch of " + events.length + " events:"),
      h("ol", { id: "batch-events" }, events.map(e => h("li", { "data-test": "batch-event", "data-event-id": e.id },
        h("span", { "data-test": "batch-event-name" }, e.name), " · ",
        link(L.eventHash(e.id), e.id, { class: "mono" }),
        e.ts ? h("span", { class: "muted" }, " · " + when(new Date(e.ts).toISOString())) : null,
        L.collapsedJson("Data", e.data === undefined ? {} : e.data, "batch-event-data", false, "batch:" + e.id))))]);
  }

  /** Replaces the notice with one message made of `parts` (text and links); red when it is an error. */
  function say(notice, parts, error) {
    clear(notice).appendChild(h("p", { class: error ? "msg-error" : "msg-ok", "data-test": error ? "action-error" : "action-done" }, parts));
  }

  function drawRun(body, run, openGroups, notice) {
    const ended = run.status !== "Running";
    // Cancel asks first, and stays on the page once the run ended, disabled, so the page does not jump.
    const cancel = h("button", { type: "button", id: "cancel-run", class: "danger", disabled: ended,
      title: ended ? "the run has ended (" + run.status + ")" : "stop the run at its next step",
      onclick: () => {
        const yes = L.actionButton({ id: "cancel-confirm", class: "danger" }, "Yes, cancel it", async () => {
          try {
            await api("POST", "/v1/runs/" + L.enc(run.run_id) + "/cancel", "{}");
            say(notice, ["Run cancelled."]);
          } catch (err) {
            say(notice, [err.message], true);
          }
          L.poll();
        }, () => notice);
        const no = h("button", { type: "button", id: "cancel-abort", class: "secondary", onclick: () => clear(notice) }, "Keep it running");
        clear(notice).appendChild(h("div", { class: "card confirm", id: "cancel-confirmation" },
          h("p", {}, "Cancel this run? Its current step finishes; no further step runs."), yes, " ", no));
      } }, "Cancel run");
    const rerun = L.actionButton({ id: "rerun-run", class: "secondary" }, "Rerun", async () => {
      let res;
      try {
        res = (await api("POST", "/v1/runs/" + L.enc(run.run_id) + "/rerun", "{}")).data;
      } catch (err) {
        say(notice, ["Rerun failed: " + err.message], true);
        return;
      }
      if (!res.run_id) {
        say(notice, ["No rerun started: " + res.message], true);
        return;
      }
      say(notice, ["Rerun started as run ", link(L.runHash(res.run_id), res.run_id, { id: "rerun-link", class: "mono", "data-run-id": res.run_id })]);
    }, () => notice);
    const reruns = run.reruns || [];
    // The run's history file for the replay check (loomstep-test's Replayer); a link, so the browser saves it.
    const history = h("a", { id: "download-history", href: "/v1/runs/" + L.enc(run.run_id) + "/history",
      download: "run-" + run.run_id + "-history.json", title: "The run's steps as JSON, to replay against changed code" },
      "Download history");
    const children = run.invoked_runs || [];
    const facts = h("dl", { class: "facts" },
      h("dt", {}, "Function"), h("dd", { id: "run-function", title: run.function_id },
        link(L.functionHash(run.function_id), run.function_name || run.function_id),
        run.app_id ? h("span", { class: "muted" }, " · app " + run.app_id) : null),
      run.durable_endpoint ? h("dt", {}, "Endpoint") : null,
      run.durable_endpoint ? h("dd", { id: "run-endpoint", class: "mono", title: "A durable endpoint's run: started by this HTTP request, resumed by replaying it" },
        run.durable_endpoint.method + " " + run.durable_endpoint.url) : null,
      h("dt", {}, "Status"), h("dd", {}, L.statusBadge(run.status, "run-status"), " ", L.runFlowChips(run)),
      h("dt", {}, "Event"), h("dd", { class: "mono" }, run.event_id ? link(L.eventHash(run.event_id), run.event_id, { id: "run-event-link" }) : "—"),
      h("dt", {}, "Queued"), h("dd", {}, when(run.queued_at)),
      h("dt", {}, "Started"), h("dd", {}, when(run.run_started_at)),
      h("dt", {}, "Ended"), h("dd", {}, when(run.ended_at)),
      h("dt", {}, "Duration"), h("dd", { id: "run-duration" }, duration(L.runDuration(run))),
      (run.races || []).flatMap(x => [h("dt", {}, "Race"), h("dd", { "data-test": "race-winner", "data-race": x.race },
        x.winner_step_id ? ["won by ", h("strong", {}, x.winner_name || x.winner_step_id)] : ended ? "no branch finished" : "racing")]),
      run.rerun_of ? [h("dt", {}, "Rerun of"), h("dd", { class: "mono" },
        link(L.runHash(run.rerun_of), run.rerun_of, { id: "rerun-of" }))] : null,
      reruns.length ? [h("dt", {}, "Reruns"), h("dd", { class: "mono", id: "reruns" },
        reruns.map(id => h("div", {}, link(L.runHash(id), id, { "data-test": "rerun", "data-run-id": id }))))] : null,
      run.parent_run_id ? [h("dt", {}, "Invoked by"), h("dd", { class: "mono" },
        link(L.runHash(run.parent_run_id), run.parent_run_id, { id: "parent-run" }))] : null,
      run.deferred_by ? [h("dt", {}, "Deferred by"), h("dd", { class: "mono" },
        link(L.runHash(run.deferred_by.run_id), run.deferred_by.run_id, { id: "deferred-by" }))] : null,
      children.length ? [h("dt", {}, "Invoked"), h("dd", { id: "invoked-runs" }, children.map(c => h("div", {},
        link(L.runHash(c.run_id), c.function_name, { "data-test": "invoked-run", "data-run-id": c.run_id, class: "mono" }),
        " ", L.statusBadge(c.status))))] : null);
    const flow = (run.flow_control || []).map(f => h("p", { class: "flow-detail", "data-test": "run-flow-detail" },
      f.detail, f.until ? " until " + when(f.until) + " (" + L.relative(f.until) + ")" : "",
      f.since ? " since " + when(f.since) : ""));
    const result = run.error !== null && run.error !== undefined
      ? h("div", { class: "card" }, h("h2", {}, "Error"), L.errorBlock(run.error, "run-error"))
      : run.status === "Completed"
        ? h("div", { class: "card" }, h("h2", {}, "Output"), h("div", { id: "run-output" }, L.json(run.output)))
        : null;
    // Function-level attempts: the function threw outside a step (maybe before its first), so the whole call is retried.
    const callAttempts = (run.attempt_errors || []).length
      ? h("div", { class: "card", id: "run-attempts" }, h("h2", {}, "Function attempts"), attempts(run, "run-attempt-errors"))
      : null;
    clear(body);
    append(body, [h("div", { class: "card" }, h("div", { class: "actions" }, history, cancel, rerun), facts, flow), result, callAttempts,
      L.runMetadata(run), deferCard(run),
      h("h2", {}, "Trace"), waterfall(run, openGroups)]);
  }

  /**
   * The runs this run deferred (step.defer): each waits for the run's end, then is scheduled (with a link to its
   * run), or was aborted, or rejected with Inngest's reason (over 20 per run or 4 MB). Null when there are none.
   */
  function deferCard(run) {
    const list = run.defers || [];
    if (!list.length) return null;
    const rows = list.map(d => h("tr", { "data-test": "defer", "data-status": d.status, "data-defer-id": d.id },
      h("td", { class: "mono" }, d.id),
      h("td", { class: "mono" }, d.function),
      h("td", {}, h("span", { class: "badge", "data-test": "defer-status" }, d.status.replace("_", " ")),
        d.reason ? h("div", { class: "muted", "data-test": "defer-reason" }, d.reason) : null),
      h("td", { class: "mono" }, d.run_id ? link(L.runHash(d.run_id), d.run_id, { "data-test": "deferred-run", "data-run-id": d.run_id }) : "—")));
    return h("div", { class: "card", id: "run-defers" }, h("h2", {}, "Deferred runs"),
      h("table", { class: "runs" }, h("thead", {}, h("tr", {}, ["Id", "Function", "Status", "Run"].map(t => h("th", {}, t)))),
        h("tbody", {}, rows)));
  }

  /**
   * Steps in start order, grouped: a step joins the current group while it starts before every step
   * of the group has ended, so the steps of a fan-out form one group and sequential steps stand alone.
   */
  function groups(steps, openEnd) {
    const sorted = steps.slice().sort((a, b) => (ms(a.started_at) || Infinity) - (ms(b.started_at) || Infinity));
    const out = [];
    let cur = null, curEnd = -Infinity;
    for (const s of sorted) {
      const start = ms(s.started_at);
      const end = ms(s.ended_at) || openEnd;
      if (cur && start !== null && start < curEnd) {
        cur.push(s);
        curEnd = Math.max(curEnd, end);
      } else {
        cur = [s];
        out.push(cur);
        curEnd = start === null ? Infinity : end;
      }
    }
    return out;
  }

  function waterfall(run, openGroups) {
    const steps = run.steps || [];
    const spans = run.sdk_spans || []; // the SDK's own spans (spans.js), on the same axis
    const box = h("div", { class: "card timeline", id: "timeline" });
    if (steps.length === 0 && spans.length === 0) {
      box.appendChild(h("p", { class: "empty", id: "timeline-empty" }, "No steps yet."));
      return box;
    }
    const openEnd = ms(run.ended_at) || Date.now();
    const starts = steps.map(s => ms(s.started_at)).filter(x => x);
    const origin = Math.min(ms(run.run_started_at) || Infinity, ...starts, ...spans.map(s => s.start_ms));
    const end = Math.max(openEnd, ...steps.map(s => ms(s.ended_at) || openEnd), ...spans.map(s => s.end_ms));
    const full = Math.max(1, end - origin);
    const z = openGroups.zoom || { from: 0, to: 1 };
    // The axis the bars are drawn on is the zoomed window; bars outside it are clipped by their track.
    const axis = { origin: origin + z.from * full, span: Math.max(1, (z.to - z.from) * full), openEnd: openEnd, full: full, start: origin,
      zoomTo: (from, to) => {
        const f = Math.max(0, Math.min(from, 1)), t = Math.min(1, Math.max(to, f + 1e-6));
        openGroups.zoom = { from: f, to: t };
        if (openGroups.redraw) openGroups.redraw();
      } };
    box.appendChild(zoomBar(axis, z));
    box.appendChild(h("div", { class: "axis" }, h("span", { "data-test": "axis-start" }, duration(axis.origin - origin)),
      h("span", { "data-test": "axis-end" }, duration(axis.origin - origin + axis.span))));
    for (const g of groups(steps, openEnd)) {
      if (g.length === 1) {
        box.appendChild(stepRow(run, g[0], axis));
        continue;
      }
      const key = g[0].id;
      const done = g.filter(s => s.status === "completed").length;
      const gStart = Math.min(...g.map(s => ms(s.started_at)));
      const gEnd = Math.max(...g.map(s => ms(s.ended_at) || openEnd));
      const state = openGroups.get(key) || { open: g.length <= OPEN_GROUP_MAX, shown: GROUP_PAGE };
      openGroups.set(key, state);
      const rows = h("div", { class: "group-rows", "data-test": "group-rows" });
      const details = h("details", { class: "group", "data-test": "step-group", "data-size": g.length, open: state.open },
        h("summary", {}, h("div", { class: "step" },
          h("div", {}, h("div", { class: "name", "data-test": "group-title" }, g.length + " parallel steps"),
            h("div", { class: "meta" }, done + " completed · " + duration(gEnd - gStart))),
          h("div", {}, h("div", { class: "track" }, bar(axis, gStart, gEnd, "bar group-bar"))))),
        rows);
      // Rows are drawn only while the group is open, GROUP_PAGE at a time.
      const drawRows = () => {
        clear(rows);
        if (!state.open) return;
        const shown = Math.min(g.length, state.shown);
        for (let i = 0; i < shown; i++) rows.appendChild(stepRow(run, g[i], axis));
        if (shown < g.length) {
          const more = Math.min(GROUP_PAGE, g.length - shown);
          rows.appendChild(h("p", { class: "group-more" },
            h("span", { class: "muted", "data-test": "group-shown" }, shown + " of " + g.length + " shown · "),
            h("button", { type: "button", class: "secondary", "data-test": "group-more",
              onclick: () => { state.shown += GROUP_PAGE; drawRows(); } }, "Show " + more + " more"),
            " ",
            h("button", { type: "button", class: "secondary", "data-test": "group-all",
              onclick: () => { state.shown = g.length; drawRows(); } }, "Show all")));
        }
      };
      drawRows();
      details.addEventListener("toggle", () => {
        if (state.open !== details.open) {
          state.open = details.open;
          drawRows();
        }
      });
      box.appendChild(details);
    }
    if (L.sdkSpans) append(box, [L.sdkSpans(run, axis)]);
    return box;
  }

  /** Zoom in and out around the window's middle, back to the whole run; each step row can also zoom to itself. */
  function zoomBar(axis, z) {
    const mid = (z.from + z.to) / 2, half = (z.to - z.from) / 2;
    const zoomed = z.from > 0 || z.to < 1;
    return h("div", { class: "zoom", id: "trace-zoom" }, "Zoom ",
      h("button", { type: "button", class: "secondary small", id: "zoom-in", title: "show half as much time",
        onclick: () => axis.zoomTo(mid - half / 2, mid + half / 2) }, "+"), " ",
      h("button", { type: "button", class: "secondary small", id: "zoom-out", disabled: !zoomed, title: "show twice as much time",
        onclick: () => { const lo = Math.max(0, mid - half * 2), hi = Math.min(1, lo + half * 4); axis.zoomTo(Math.max(0, hi - half * 4), hi); } }, "−"), " ",
      h("button", { type: "button", class: "secondary small", id: "zoom-reset", disabled: !zoomed,
        onclick: () => axis.zoomTo(0, 1) }, "Whole run"),
      h("span", { class: "muted", id: "zoom-window" }, zoomed ? " showing " + duration(axis.span) + " of " + duration(axis.full) : ""));
  }

  function bar(axis, start, stop, cls, title) {
    const b = h("div", { class: cls, title: title || "" });
    if (start) {
      b.style.left = (100 * (start - axis.origin) / axis.span).toFixed(2) + "%";
      b.style.width = Math.max(0.3, 100 * (stop - start) / axis.span).toFixed(2) + "%";
    }
    return b;
  }

  function stepRow(run, s, axis) {
    const start = ms(s.started_at);
    const stop = ms(s.ended_at) || (start ? Math.max(start, axis.openEnd) : null);
    const took = s.duration_ms !== null && s.duration_ms !== undefined ? duration(s.duration_ms)
      : start && run.status === "Running" ? duration(Date.now() - start) + " so far" : "—";
    // the failed attempts list every error already; a step's own error is shown when there is no such list
    const result = s.error !== null && s.error !== undefined && !(s.attempt_errors || []).length
      ? L.errorBlock(s.error, "step-error")
      : s.output !== null && s.output !== undefined ? L.collapsedJson("Output", s.output, "step-output", false, "output:" + s.id) : null;
    return h("div", { class: "step", "data-test": "step-row", "data-step-id": s.id, "data-step-name": s.name || s.id, "data-status": s.status },
      h("div", {},
        h("div", { class: "name", "data-test": "step-name", title: s.id }, s.name || s.id),
        h("div", { class: "meta" }, h("span", { "data-test": "step-op" }, s.op || "?"), " · ",
          L.statusBadge(s.status, "step-status"),
          s.race ? [" · ", h("span", { class: "race race-" + s.race, "data-test": "step-race" },
            s.race === "won" ? "won the race" : s.race === "lost" ? "lost the race" : s.race)] : null),
        h("div", { class: "meta" }, "started ", when(s.started_at)),
        h("div", { class: "meta" }, h("span", { "data-test": "step-duration" }, took),
          s.attempts > 0 ? [" · ", h("span", { "data-test": "step-attempts" }, String(s.attempts)), s.attempts === 1 ? " attempt" : " attempts"] : null),
        s.reused_from ? h("div", { class: "meta", "data-test": "step-reused" }, "reused from run ",
          link(L.runHash(s.reused_from), s.reused_from, { class: "mono" })) : null,
        s.input !== undefined ? h("div", { class: "meta", "data-test": "step-input" }, "runs with input ", h("code", {}, JSON.stringify(s.input))) : null,
        h("div", { class: "meta" }, L.rerunFromButton ? L.rerunFromButton(run, s) : null, " ",
          start ? h("button", { type: "button", class: "secondary small", "data-test": "step-zoom", title: "zoom the trace to this step",
            onclick: () => {
              const pad = Math.max(0.1, (stop - start) * 0.1);
              axis.zoomTo((start - pad - axis.start) / axis.full, (stop + pad - axis.start) / axis.full);
            } }, "Zoom to step") : null)),
      h("div", {}, h("div", { class: "track" }, bar(axis, start, stop, "bar op-" + s.op + " st-" + String(s.status).replace(/ /g, "-"), s.status)),
        what(s), attempts(s), L.stepMetadata(s), result));
  }

  /** What a sleep, a wait or an invoke is (or was) waiting for; what a fetch or an AI step asked and got. */
  function what(s) {
    if (s.sleep && (s.status === "cancelled" || s.status === "not run")) {
      // it never woke: say when it stopped, and when it would have woken
      return h("p", { class: "detail", "data-test": "step-sleep" }, s.status === "cancelled" ? "cancelled " : "stopped ",
        h("span", { "data-test": "sleep-ended", title: s.ended_at || "" }, when(s.ended_at)),
        " while sleeping until ", h("span", { "data-test": "wake-at", title: s.sleep.wake_at || "" }, when(s.sleep.wake_at)));
    }
    if (s.sleep) {
      return h("p", { class: "detail", "data-test": "step-sleep" }, s.status === "waiting" ? "sleeping until " : "slept until ",
        h("span", { "data-test": "wake-at", title: s.sleep.wake_at || "" }, when(s.sleep.wake_at)),
        s.status === "waiting" ? " (" + L.relative(s.sleep.wake_at) + ")" : "");
    }
    if (s.wait) {
      const w = s.wait;
      return h("p", { class: "detail", "data-test": "step-wait" }, "waits for ",
        h("code", { "data-test": "wait-event" }, w.event || "?"),
        w.expression ? [" if ", h("code", { "data-test": "wait-expression" }, w.expression)] : null,
        w.timeout_at ? [" until ", h("span", { "data-test": "wait-deadline", title: w.timeout_at }, when(w.timeout_at)),
          w.outcome === "waiting" ? " (" + L.relative(w.timeout_at) + ")" : ""] : " (no timeout)",
        " — ", h("span", { class: "outcome outcome-" + w.outcome, "data-test": "wait-outcome" }, w.outcome.replace("_", " ")),
        w.matched_event_id ? [" by ", link(L.eventHash(w.matched_event_id), w.matched_event_id, { class: "mono", "data-test": "wait-matched" })] : null);
    }
    if (s.signal) {
      const g = s.signal;
      return h("p", { class: "detail", "data-test": "step-signal" }, "waits for signal ",
        h("code", { "data-test": "signal-name" }, g.signal || "?"),
        g.timeout_at ? [" until ", h("span", { "data-test": "signal-deadline", title: g.timeout_at }, when(g.timeout_at)),
          g.outcome === "waiting" ? " (" + L.relative(g.timeout_at) + ")" : ""] : null,
        " — ", h("span", { class: "outcome outcome-" + g.outcome, "data-test": "signal-outcome" }, g.outcome.replace("_", " ")),
        g.outcome === "received" ? [" with ", h("code", { "data-test": "signal-data" }, JSON.stringify(g.data))] : null);
    }
    if (s.invoke) {
      const i = s.invoke;
      return h("p", { class: "detail", "data-test": "step-invoke" }, "invokes ",
        link(L.functionHash(i.function_id || ""), i.function_id || "?"),
        i.run_id ? [" as run ", link(L.runHash(i.run_id), i.run_id, { class: "mono", "data-test": "invoke-run" }), " ", L.statusBadge(i.run_status)] : null,
        i.timeout_at ? " · timeout " + when(i.timeout_at) : "",
        " — ", h("span", { class: "outcome outcome-" + i.outcome, "data-test": "invoke-outcome" }, i.outcome.replace("_", " ")));
    }
    if (s.fetch) {
      const f = s.fetch;
      return h("p", { class: "detail", "data-test": "step-fetch" }, "fetch ",
        h("code", { "data-test": "fetch-request" }, (f.method || "?") + " " + (f.url || "?")),
        f.status_code ? [" → HTTP ", h("span", { "data-test": "fetch-status" }, String(f.status_code))] : null);
    }
    if (s.ai && s.ai.type === "step.ai.wrap") {
      return h("p", { class: "detail", "data-test": "step-ai-wrap" }, "ai.wrap input ",
        h("code", { "data-test": "ai-input" }, JSON.stringify(s.ai.input)));
    }
    if (s.ai) {
      const a = s.ai, u = a.usage;
      return h("p", { class: "detail", "data-test": "step-ai" }, "ai.infer ",
        h("code", { "data-test": "ai-model" }, (a.format || "?") + (a.model ? " " + a.model : "")),
        a.status_code ? " → HTTP " + a.status_code : null,
        u ? [" · tokens ", h("span", { "data-test": "ai-tokens" },
          (u.input_tokens ?? "?") + " in, " + (u.output_tokens ?? "?") + " out, " + (u.total_tokens ?? "?") + " total")] : null);
    }
    return null;
  }

  /** Every failed attempt of a step or of the run's calls: when, the error, and when the next attempt was due (the backoff). */
  function attempts(s, testId) {
    const list = s.attempt_errors || [];
    if (list.length === 0 && !s.next_attempt_at) return null;
    return h("div", { class: "attempts", "data-test": testId || "step-attempt-errors" },
      list.map(a => h("div", { class: "attempt", "data-test": "attempt-error" },
        h("span", { class: "muted" }, "attempt " + a.attempt + " failed at " + when(a.at)),
        a.retry_at ? h("span", { class: "muted", "data-test": "attempt-backoff" }, " · retry after " + duration(ms(a.retry_at) - ms(a.at))) : null,
        h("pre", {}, L.errorText(a.error || "error")))),
      s.next_attempt_at ? h("p", { class: "muted", "data-test": "next-attempt" }, "next attempt " + when(s.next_attempt_at) + " (" + L.relative(s.next_attempt_at) + ")") : null);
  }

  L.routes["runs/:id"] = id => runView(id);
})(window.Loom);
