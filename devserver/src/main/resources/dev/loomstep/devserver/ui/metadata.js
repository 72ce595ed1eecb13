// Run and step metadata on the run page: what SDKs set through POST /v1/runs/{runId}/metadata (JS's
// inngest.metadata, Loomstep's app.metadata(runId)), one table per kind. run.js calls Loom.runMetadata(run)
// for the run's own card and Loom.stepMetadata(step) in each step's detail.
"use strict";

(function (L) {
  const { h, when } = L;

  /** One kind's values as key/value rows; a nested value is shown as JSON. */
  function kindTable(m, test) {
    const rows = Object.entries(m.values || {}).map(([k, v]) => h("tr", { "data-test": "metadata-entry", "data-key": k },
      h("th", { class: "mono" }, k),
      h("td", { class: "mono", "data-test": "metadata-value" }, typeof v === "string" ? v : JSON.stringify(v))));
    return h("div", { class: "metadata-kind", "data-test": test, "data-kind": m.kind },
      h("div", { class: "muted" }, h("code", { "data-test": "metadata-kind" }, m.kind),
        m.step_attempt !== null && m.step_attempt !== undefined ? " · attempt " + m.step_attempt : null,
        " · updated ", when(m.updated_at)),
      rows.length ? h("table", { class: "facts" }, rows) : h("div", { class: "muted" }, "(no values)"));
  }

  /** The run's own metadata as a card; null when it has none. */
  L.runMetadata = function (run) {
    const own = (run.metadata || []).filter(m => m.scope === "run");
    if (!own.length) return null;
    return h("div", { class: "card", id: "run-metadata" }, h("h2", {}, "Metadata"), own.map(m => kindTable(m, "run-metadata-kind")));
  };

  /** A step's metadata in its detail; null when it has none. */
  L.stepMetadata = function (s) {
    const list = s.metadata || [];
    if (!list.length) return null;
    return h("div", { class: "detail step-metadata", "data-test": "step-metadata" }, list.map(m => kindTable(m, "step-metadata-kind")));
  };
})(window.Loom);
