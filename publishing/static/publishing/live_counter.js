// The post editor's live counter: for every network version, the length as that network
// counts it, its problems and a preview, updated as the author types. The counting is
// done by the server (publishing.selectors.live_check), so the editor and the checks
// run on save never disagree. Everything shown is set as text, never as HTML.
(function () {
  "use strict";
  const script = document.getElementById("crieur-live-counter");
  if (!script) return;
  const checkUrl = script.dataset.checkUrl;
  const timers = new WeakMap();

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function kept(child) {
    const deleted = child.querySelector("input[name$='-DELETE']");
    return !(deleted && (deleted.value === "1" || deleted.checked));
  }

  function postImages() {
    return Array.from(document.querySelectorAll("[id^='inline_child_images-']"))
      .filter((child) => kept(child) && !child.id.includes("__prefix__"))
      .filter((child) => {
        const chosen = child.querySelector("input[name$='-image']");
        return chosen && chosen.value;
      })
      .map((child) => child.querySelector("input[name$='-alt_text']").value);
  }

  function variantAltTexts(child) {
    const images = postImages();
    const numbersField = child.querySelector("[name$='-image_numbers']");
    const overridesField = child.querySelector("[name$='-alt_texts']");
    const numbers = (numbersField ? numbersField.value : "")
      .split(/[\s,;]+/)
      .filter(Boolean)
      .map(Number)
      .filter((n) => n >= 1 && n <= images.length);
    const chosen = numbers.length ? numbers.map((n) => images[n - 1]) : images;
    const overrides = overridesField ? overridesField.value.split("\n") : [];
    return chosen.map((alt, i) => (overrides[i] || "").trim() || alt);
  }

  function outputFor(child) {
    let output = child.querySelector(".crieur-live");
    if (!output) {
      output = document.createElement("div");
      output.className = "crieur-live help-block";
      output.setAttribute("aria-live", "polite");
      output.dataset.testid = "live-counter";
      const textField = child.querySelector("[name$='-text']");
      const anchor = textField ? textField.closest(".w-field__wrapper") || textField : child;
      anchor.after(output);
    }
    return output;
  }

  function render(child, report) {
    const output = outputFor(child);
    output.replaceChildren();
    const blocking = report.problems.some((p) => p.blocking);
    output.classList.toggle("help-critical", blocking);
    output.classList.toggle("help-info", !blocking);
    output.dataset.network = report.network;
    output.dataset.length = report.length;
    output.dataset.state = blocking ? "problem" : "ok";
    const summary = document.createElement("p");
    summary.className = "crieur-live__summary";
    summary.textContent = report.summary;
    output.append(summary);
    if (report.problems.length) {
      const list = document.createElement("ul");
      for (const problem of report.problems) {
        const item = document.createElement("li");
        item.dataset.problem = problem.code;
        item.textContent = problem.message;
        list.append(item);
      }
      output.append(list);
    }
    const preview = document.createElement("div");
    preview.className = "crieur-live__preview";
    preview.setAttribute("aria-label", report.preview_label);
    for (const part of report.parts) {
      const quote = document.createElement("blockquote");
      quote.style.whiteSpace = "pre-wrap";
      quote.style.borderLeft = "3px solid currentColor";
      quote.style.paddingLeft = "0.75rem";
      quote.textContent = part.text;
      preview.append(quote);
    }
    output.append(preview);
  }

  function check(child) {
    const account = child.querySelector("select[name$='-account']");
    if (!account || !account.value || !kept(child)) return;
    const own = child.querySelector("[name$='-text']");
    const master = document.getElementById("id_text");
    const format = child.querySelector("[name$='-format']");
    const documentField = document.querySelector("input[name='document']");
    const body = new URLSearchParams();
    body.set("account", account.value);
    body.set("text", (own && own.value.trim()) || (master ? master.value : ""));
    body.set("alt_texts", JSON.stringify(variantAltTexts(child)));
    body.set("video", documentField && documentField.value ? "1" : "0");
    body.set("format", format ? format.value : "feed");
    fetch(checkUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      body,
      credentials: "same-origin",
    })
      .then((response) => (response.ok ? response.json() : null))
      .then((report) => report && render(child, report))
      .catch(() => {});
  }

  function schedule(child) {
    clearTimeout(timers.get(child));
    timers.set(child, setTimeout(() => check(child), 200));
  }

  function variantChildren() {
    return Array.from(document.querySelectorAll("[id^='inline_child_variants-']")).filter(
      (child) => !child.id.includes("__prefix__"),
    );
  }

  function onEdit(event) {
    const child = event.target.closest("[id^='inline_child_variants-']");
    if (child) {
      schedule(child);
    } else if (event.target.closest("#id_text, [id^='inline_child_images-']")) {
      variantChildren().forEach(schedule); // the master text or the images changed
    }
  }

  document.addEventListener("input", onEdit);
  document.addEventListener("change", onEdit);
  document.addEventListener("DOMContentLoaded", () => variantChildren().forEach(check));
})();
