// The SDK's own spans in a run's waterfall: what an SDK with tracing sent to /v1/traces/userland (one
// span per call of the run, one per step it ran, and the spans the function's code started under them),
// drawn as a tree on the waterfall's time axis under the steps. run.js calls Loom.sdkSpans(run, axis).
"use strict";

(function (L) {
  const { h, duration } = L;
  const CALL_SPAN = "inngest.execution";

  /** The spans as a tree: children under their parent when the parent is among them, in start order. */
  function tree(spans) {
    const byId = new Map(spans.map(s => [s.span_id, s]));
    const kids = new Map();
    const roots = [];
    for (const s of spans.slice().sort((a, b) => a.start_ms - b.start_ms)) {
      if (s.parent_span_id && byId.has(s.parent_span_id)) {
        if (!kids.has(s.parent_span_id)) kids.set(s.parent_span_id, []);
        kids.get(s.parent_span_id).push(s);
      } else {
        roots.push(s);
      }
    }
    const out = [];
    const walk = (s, depth) => {
      out.push({ span: s, depth: depth });
      for (const c of kids.get(s.span_id) || []) walk(c, depth + 1);
    };
    roots.forEach(r => walk(r, 0));
    return out;
  }

  function label(s) {
    if (s.name === CALL_SPAN) {
      const attempt = s.attributes && s.attributes["loomstep.attempt"];
      return "call" + (attempt !== undefined && attempt !== null ? " · attempt " + (Number(attempt) + 1) : "");
    }
    return s.name;
  }

  function attributesOf(s) {
    const entries = Object.entries(s.attributes || {});
    if (entries.length === 0) return null;
    return h("details", { class: "span-attrs" }, h("summary", {}, entries.length + " attributes"),
      h("dl", { class: "facts" }, entries.map(([k, v]) => [h("dt", { class: "mono" }, k),
        h("dd", { class: "mono" }, typeof v === "string" ? v : JSON.stringify(v))])));
  }

  function spanRow(item, axis) {
    const s = item.span;
    const b = h("div", { class: "bar span-bar" + (s.status === "error" ? " st-failed" : ""), title: s.name });
    b.style.left = (100 * (s.start_ms - axis.origin) / axis.span).toFixed(2) + "%";
    b.style.width = Math.max(0.3, 100 * (s.end_ms - s.start_ms) / axis.span).toFixed(2) + "%";
    const head = h("div", {},
      h("div", { class: "name", "data-test": "sdk-span-name", title: s.name }, label(s)),
      h("div", { class: "meta" }, h("span", { "data-test": "sdk-span-duration" }, duration(s.duration_ms)),
        " · ", s.scope || "?", s.status === "error" ? [" · ", h("span", { class: "bad" }, s.status_message || "error")] : null));
    head.style.paddingLeft = (item.depth * 14) + "px"; // through the CSSOM: the CSP refuses style attributes
    return h("div", { class: "step span-row", "data-test": "sdk-span", "data-span-name": s.name, "data-span-id": s.span_id,
        "data-parent-span-id": s.parent_span_id || "", "data-depth": item.depth, "data-status": s.status },
      head, h("div", {}, h("div", { class: "track" }, b), attributesOf(s)));
  }

  /** The section of the waterfall with the SDK's spans, or null when the SDK sent none. */
  L.sdkSpans = function (run, axis) {
    const spans = run.sdk_spans || [];
    if (spans.length === 0) return null;
    const trace = spans[0].trace_id;
    return h("div", { class: "sdk-spans", id: "sdk-spans", "data-test": "sdk-spans" },
      h("h3", {}, "SDK spans ", h("span", { class: "muted mono", "data-test": "sdk-trace-id", title: "trace id" }, trace)),
      tree(spans).map(item => spanRow(item, axis)));
  };
})(window.Loom);
