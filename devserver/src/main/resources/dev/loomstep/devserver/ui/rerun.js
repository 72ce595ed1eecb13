// Rerun from a step, on a run's page: each step row has "Rerun from here", which asks first, with an
// optional edited input for the step (a JSON array of its arguments, for SDKs whose steps take input),
// and starts a new run that reuses the steps the old run finished before it.
"use strict";

(function (L) {
  const { h, clear, link, api } = L;

  /** The button of one step row; its form and its outcome go to the run's notice (outside the redrawn body). */
  function rerunFromButton(run, step) {
    return h("button", { type: "button", class: "secondary small", "data-test": "rerun-from", "data-step-id": step.id,
      title: "A new run that reuses the steps before this one and runs this step and the rest again",
      onclick: () => openForm(run, step, document.getElementById("run-notice")) }, "Rerun from here");
  }

  function openForm(run, step, notice) {
    const input = h("textarea", { id: "rerun-input", rows: 3, spellcheck: "false",
      placeholder: "optional: the step's input, a JSON array of its arguments (empty: as the code gives it)" });
    const problem = h("p", { class: "msg-error", id: "rerun-input-error", hidden: true });
    input.addEventListener("input", () => { problem.hidden = true; });
    const go = L.actionButton({ id: "rerun-from-confirm" }, "Rerun from " + (step.name || step.id), async () => {
      const from = { step_id: step.id };
      if (input.value.trim() !== "") {
        let value;
        try {
          value = L.parseJson(input.value, "Input");
        } catch (err) {
          problem.textContent = err.message;
          problem.hidden = false;
          return;
        }
        if (!Array.isArray(value)) {
          problem.textContent = "Input must be a JSON array of the step's arguments, like [{\"id\": 1}].";
          problem.hidden = false;
          return;
        }
        from.input = value;
      }
      let res;
      try {
        res = (await api("POST", "/v1/runs/" + L.enc(run.run_id) + "/rerun", { from_step: from })).data;
      } catch (err) {
        say(notice, ["Rerun failed: " + err.message], true);
        return;
      }
      if (!res.run_id) {
        say(notice, ["No rerun started: " + res.message], true);
        return;
      }
      say(notice, ["Rerun from step " + (step.name || step.id) + " started as run ",
        link(L.runHash(res.run_id), res.run_id, { id: "rerun-link", class: "mono", "data-run-id": res.run_id })]);
    }, () => notice);
    const no = h("button", { type: "button", class: "secondary", id: "rerun-from-abort", onclick: () => clear(notice) }, "Never mind");
    clear(notice).appendChild(h("div", { class: "card confirm", id: "rerun-from-form", "data-step-id": step.id },
      h("p", {}, "Rerun from step ", h("strong", {}, step.name || step.id),
        "? A new run reuses the steps this run finished before it, and runs it and everything after it again."),
      h("label", { for: "rerun-input" }, "Input (optional)"), input, problem, h("div", {}, go, " ", no)));
    input.focus();
  }

  function say(notice, parts, error) {
    clear(notice).appendChild(h("p", { class: error ? "msg-error" : "msg-ok", "data-test": error ? "action-error" : "action-done" }, parts));
  }

  L.rerunFromButton = rerunFromButton;
})(window.Loom);
