// The import's progress bar: asks the server where the import stands until it is over.
(function () {
  "use strict";
  var section = document.getElementById("import-progress");
  if (!section) {
    return;
  }
  var bar = section.querySelector("progress");
  var counter = section.querySelector("[data-import-counter]");
  var status = section.querySelector("[data-import-status]");
  var url = section.getAttribute("data-progress-url");

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        bar.max = state.total || 1;
        bar.value = state.done;
        bar.textContent = counter.textContent = state.done + " / " + state.total;
        status.textContent = state.status_label;
        if (state.status === "importing") {
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload(); // the page lists the created posts
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
