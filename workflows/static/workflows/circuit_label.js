// The post editor's « Submit to … » button follows the approval circuit chosen in the
// form, before it is saved: the submission uses that circuit (cms.views.ChosenCircuitMixin).
// The labels come from the server (workflows.action_menu), one per circuit.
(function () {
  "use strict";

  function setUp() {
    const button = document.querySelector("[data-crieur-circuit-labels]");
    if (!button || !button.form) return;
    let labels;
    try {
      labels = JSON.parse(button.dataset.crieurCircuitLabels);
    } catch (error) {
      return;
    }
    const text = button.querySelector("[data-crieur-circuit-label]");

    function follow() {
      const field = button.form.elements.namedItem("approval_workflow");
      if (!field) return;
      const label = labels[field.value || ""] || labels[""];
      if (!label) return;
      text.textContent = label;
      button.value = label;
    }

    button.form.addEventListener("change", (event) => {
      if (event.target && event.target.name === "approval_workflow") follow();
    });
    follow();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
