// The devserver web UI, shared part: DOM and formatting helpers, the REST client, routing and live
// refresh. The views live in runs.js, run.js and pages.js and register themselves in Loom.routes.
// No framework and no build step. Every piece of data is put on the page as text (textContent,
// createTextNode) or as an attribute value, never as HTML; the server's Content-Security-Policy
// allows only these files' scripts besides.
"use strict";

window.Loom = (function () {
  const POLL_MS = 1000;

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

  const enc = encodeURIComponent;
  const runHash = id => "#/runs/" + enc(id);
  const eventHash = id => "#/events/" + enc(id);
  const functionHash = id => "#/functions/" + enc(id);

  function ms(iso) {
    return iso ? Date.parse(iso) : null;
  }

  function pad(n, w) {
    return String(n).padStart(w || 2, "0");
  }

  /** A local time with milliseconds; the date only when it is not today. */
  function when(iso) {
    if (!iso) return "—";
    const d = new Date(iso), now = new Date();
    const day = d.toDateString() === now.toDateString() ? "" :
      d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " ";
    return day + pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + "." + pad(d.getMilliseconds(), 3);
  }

  function duration(millis) {
    if (millis === null || millis === undefined || isNaN(millis)) return "—";
    if (millis < 1000) return Math.max(0, Math.round(millis)) + " ms";
    if (millis < 60000) return (millis / 1000).toFixed(2) + " s";
    const m = Math.floor(millis / 60000);
    if (m < 60) return m + "m " + Math.floor((millis % 60000) / 1000) + "s";
    if (m < 48 * 60) return Math.floor(m / 60) + "h " + (m % 60) + "m";
    return Math.floor(m / 1440) + "d " + Math.floor((m % 1440) / 60) + "h";
  }

  /** "in 3m 2s" / "4.20 s ago", for deadlines and wake-up times. */
  function relative(iso) {
    if (!iso) return "";
    const d = ms(iso) - Date.now();
    return d >= 0 ? "in " + duration(d) : duration(-d) + " ago";
  }

  function runDuration(run) {
    const start = ms(run.run_started_at) || ms(run.queued_at);
    if (!start) return null;
    return (ms(run.ended_at) || Date.now()) - start;
  }

  function size(text) {
    const n = new Blob([text]).size;
    return n < 1024 ? n + " B" : n < 1048576 ? (n / 1024).toFixed(1) + " KB" : (n / 1048576).toFixed(1) + " MB";
  }

  function json(value, test) {
    return h("pre", { class: "json", "data-test": test }, value === undefined ? "" : JSON.stringify(value, null, 2));
  }

  /** A JSON value behind a summary with its size, closed unless asked: big outputs do not flood the page. */
  function collapsedJson(label, value, test, open, keep) {
    const text = value === undefined ? "" : JSON.stringify(value, null, 2);
    return h("details", { class: "payload", "data-test": test + "-box", open: !!open, "data-keep": keep || null },
      h("summary", {}, label, " ", h("span", { class: "muted", "data-test": test + "-size" }, "· " + size(text))),
      h("pre", { class: "json", "data-test": test }, text));
  }

  /**
   * Redraws `root` with `draw` keeping which of its <details data-keep=KEY> are open: a live page rebuilds
   * every second, and an output the user opened must stay open.
   */
  function keepOpen(root, draw) {
    const open = new Map();
    for (const d of root.querySelectorAll("details[data-keep]")) open.set(d.getAttribute("data-keep"), d.open);
    draw();
    for (const d of root.querySelectorAll("details[data-keep]")) {
      const was = open.get(d.getAttribute("data-keep"));
      if (was !== undefined) d.open = was;
    }
  }

  /**
   * Where JSON text is wrong: null when it parses, else {message, line, column} (1-based). Browsers do not
   * all say where in JSON.parse's message, so the text is walked here.
   */
  function jsonProblem(text) {
    try {
      JSON.parse(text);
      return null;
    } catch (e) {
      // fall through: find the position
    }
    let i = 0;
    const fail = msg => { throw { msg: msg, at: i }; };
    const ws = () => { while (i < text.length && " \t\r\n".includes(text[i])) i++; };
    const lit = w => { if (text.startsWith(w, i)) i += w.length; else fail("expected a value"); };
    function str() {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\") i++;
        else if (text.charCodeAt(i) < 0x20) fail("a control character inside a string");
        i++;
      }
      if (i >= text.length) fail("a string that is never closed");
      i++;
    }
    function value() {
      ws();
      const c = text[i];
      if (c === "{") {
        i++; ws();
        if (text[i] === "}") { i++; return; }
        for (;;) {
          ws();
          if (text[i] !== '"') fail("expected a property name in double quotes");
          str(); ws();
          if (text[i] !== ":") fail("expected ':' after the property name");
          i++; value(); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "}") { i++; return; }
          fail("expected ',' or '}'");
        }
      } else if (c === "[") {
        i++; ws();
        if (text[i] === "]") { i++; return; }
        for (;;) {
          value(); ws();
          if (text[i] === ",") { i++; continue; }
          if (text[i] === "]") { i++; return; }
          fail("expected ',' or ']'");
        }
      } else if (c === '"') str();
      else if (c === "t") lit("true");
      else if (c === "f") lit("false");
      else if (c === "n") lit("null");
      else {
        const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
        if (!m) fail(i >= text.length ? "the text ends where a value was expected" : "expected a value");
        i += m[0].length;
      }
    }
    let problem = { msg: "not valid JSON", at: 0 };
    try {
      value(); ws();
      if (i < text.length) fail("unexpected text after the JSON value");
    } catch (p) {
      if (p && p.msg) problem = p;
    }
    const before = text.slice(0, problem.at).split("\n");
    return { message: problem.msg, line: before.length, column: before[before.length - 1].length + 1 };
  }

  /** JSON text as a value, or an Error saying where it is wrong ("line 2, column 5: expected ..."). */
  function parseJson(text, what) {
    const p = jsonProblem(text);
    if (p) throw new Error(what + " is not valid JSON: line " + p.line + ", column " + p.column + ": " + p.message);
    return JSON.parse(text);
  }

  function statusBadge(status, test) {
    return h("span", { class: "status status-" + String(status).replace(/ /g, "-"), "data-test": test || "status" }, status);
  }

  function errorText(err) {
    return typeof err === "object"
      ? (err.name ? err.name + ": " : "") + (err.message !== undefined ? err.message : JSON.stringify(err))
      : String(err);
  }

  function errorBlock(err, test) {
    if (err === null || err === undefined) return null;
    return h("div", { class: "error", "data-test": test || "error" },
      h("pre", {}, errorText(err)),
      typeof err === "object" && err.stack ? h("details", {}, h("summary", {}, "stack"), h("pre", {}, err.stack)) : null);
  }

  function triggerChip(t) {
    const text = t.cron ? "cron " + t.cron : t.event ? t.event + (t.expression ? " if " + t.expression : "") : JSON.stringify(t);
    return h("span", { class: "chip trigger", "data-test": "trigger" }, text);
  }

  /** One chip per flow-control option a function config sets. */
  function flowChips(config) {
    const c = config || {}, out = [];
    const chip = (k, text) => out.push(h("span", { class: "chip flow", "data-test": "flow-" + k }, text));
    for (const x of c.concurrency || []) chip("concurrency", "concurrency " + x.limit + (x.key ? " per " + x.key : "") + (x.scope && x.scope !== "fn" ? " (" + x.scope + ")" : ""));
    if (c.rateLimit) chip("rateLimit", "rate limit " + c.rateLimit.limit + "/" + c.rateLimit.period);
    if (c.throttle) chip("throttle", "throttle " + c.throttle.limit + "/" + c.throttle.period + (c.throttle.burst ? " burst " + c.throttle.burst : ""));
    if (c.debounce) chip("debounce", "debounce " + c.debounce.period + (c.debounce.timeout ? " max " + c.debounce.timeout : ""));
    if (c.batchEvents) chip("batchEvents", "batch " + c.batchEvents.maxSize + " / " + c.batchEvents.timeout);
    if (c.priority) chip("priority", "priority " + c.priority.run);
    if (c.idempotency) chip("idempotency", "idempotency " + c.idempotency);
    if (c.singleton) chip("singleton", "singleton " + (c.singleton.mode || "skip"));
    for (const x of c.cancel || []) chip("cancel", "cancel on " + x.event);
    if (c.timeouts) chip("timeouts", "timeouts" + (c.timeouts.start ? " start " + c.timeouts.start : "") + (c.timeouts.finish ? " finish " + c.timeouts.finish : ""));
    return out;
  }

  /** A run's flow-control state as chips: waiting for a slot, throttled until…, batched. */
  function runFlowChips(run) {
    return (run.flow_control || []).map(f => h("span", {
      class: "chip flow flow-" + f.state, "data-test": "run-flow", "data-kind": f.kind,
      title: f.detail + (f.until ? " until " + f.until : "") + (f.since ? " since " + f.since : ""),
    }, f.state === "waiting" ? f.kind + (f.until ? " until " + when(f.until) : " · waiting") : f.kind + (f.events ? " ×" + f.events : "")));
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

  /** A button that runs an action once per click, disabled meanwhile; errors show in `where`. */
  function actionButton(attrs, label, action, where) {
    return h("button", Object.assign({ type: "button" }, attrs, {
      onclick: async e => {
        const b = e.currentTarget;
        b.disabled = true;
        const old = where().querySelector(":scope > [data-test=action-error]");
        if (old) old.remove();
        try {
          await action();
        } catch (err) {
          alertIn(where(), err.message);
        } finally {
          b.disabled = false;
        }
      },
    }), label);
  }

  function alertIn(root, message) {
    const old = root.querySelector(":scope > [data-test=action-error]");
    if (old) old.remove();
    root.insertBefore(h("p", { class: "msg-error", "data-test": "action-error" }, message), root.firstChild);
  }

  // ------------------------------------------------------------------ routing and polling
  // A view is {nav, render(root), refresh()}: render builds the static parts once; refresh is called
  // at once and then every POLL_MS while the view is shown, and redraws only the live parts.

  const routes = {};
  let current = null;
  let generation = 0;
  let timer = null;
  let pollChain = 0; // only the newest poll() schedules the next one, so a click never starts a second loop

  function parseHash() {
    const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
    return { parts: (path || "runs").split("/").map(decodeURIComponent), query: new URLSearchParams(search || "") };
  }

  function route() {
    const { parts, query } = parseHash();
    const make = routes[parts[0] + (parts[1] ? "/:id" : "")] || routes["runs"];
    return make(parts[1], query);
  }

  /** Replaces some query parameters of the current page's hash (empty values drop out); the change redraws. */
  function setQuery(change) {
    const { parts, query } = parseHash();
    for (const [k, v] of Object.entries(change)) {
      if (v) query.set(k, v); else query.delete(k);
    }
    const s = query.toString();
    location.hash = "#/" + parts.map(enc).join("/") + (s ? "?" + s : "");
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
        if (gen === generation && !document.querySelector("[data-test=view-error]")) {
          const root = document.getElementById("view");
          root.insertBefore(h("p", { class: "msg-error", "data-test": "view-error" }, err.message), root.firstChild);
        }
      }
    }
    if (gen === generation && chain === pollChain) timer = setTimeout(poll, POLL_MS);
  }

  /** The devserver's version in the footer, asked once. */
  async function showVersion() {
    try {
      const info = await api("GET", "/dev");
      document.getElementById("version").textContent = info.version ? "v" + info.version : "";
    } catch (err) {
      document.getElementById("version").textContent = "(version unknown: " + err.message + ")";
    }
  }

  window.addEventListener("hashchange", show);
  document.addEventListener("DOMContentLoaded", show);
  document.addEventListener("DOMContentLoaded", showVersion);

  return {
    h, append, clear, link, enc, runHash, eventHash, functionHash, ms, when, duration, relative, runDuration,
    size, json, collapsedJson, keepOpen, jsonProblem, parseJson, statusBadge, errorText, errorBlock, triggerChip, flowChips, runFlowChips,
    api, actionButton, alertIn, routes, setQuery, poll,
  };
})();
