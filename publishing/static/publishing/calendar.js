// The publishing calendar: drag an entry to another day (HTML5 drag-and-drop), copy the
// iCal address. Every text shown comes from the server or the template (translated).
(function () {
  "use strict";

  var root = document.getElementById("crieur-calendar");
  if (!root) return;
  var statusRegion = document.getElementById("calendar-status");
  var alertRegion = document.getElementById("calendar-alert");
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  var dragged = null;

  function say(message, isError) {
    statusRegion.textContent = isError ? "" : message;
    alertRegion.textContent = isError ? message : "";
  }

  function dayOf(element) {
    return element ? element.closest("[data-drop-target]") : null;
  }

  function insertByTime(list, card) {
    var time = card.querySelector("time");
    var key = time ? time.getAttribute("datetime").slice(11) : "";
    var next = Array.prototype.find.call(list.children, function (other) {
      var otherTime = other.querySelector("time");
      return otherTime && otherTime.getAttribute("datetime").slice(11) > key;
    });
    list.insertBefore(card, next || null);
  }

  function move(card, target) {
    var origin = { parent: card.parentNode, next: card.nextSibling };
    var list = target.querySelector(".crieur-cal-day__entries");
    var date = target.getAttribute("data-date");
    if (dayOf(card) === target) return;
    insertByTime(list, card);
    card.classList.add("is-pending");
    card.setAttribute("aria-busy", "true");

    function revert(message) {
      origin.parent.insertBefore(card, origin.next);
      say(message, true);
    }

    fetch(root.getAttribute("data-move-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": csrfInput ? csrfInput.value : "",
        "X-Requested-With": "XMLHttpRequest",
      },
      body: JSON.stringify({
        kind: card.getAttribute("data-kind"),
        id: card.getAttribute("data-id"),
        date: date,
      }),
    })
      .then(function (response) {
        return response
          .json()
          .catch(function () {
            return { ok: false, message: root.getAttribute("data-msg-failed") };
          })
          .then(function (data) {
            if (response.ok && data.ok) {
              var time = card.querySelector("time");
              if (time && data.when) time.setAttribute("datetime", data.when);
              say(data.message, false);
            } else {
              revert(data.message || root.getAttribute("data-msg-failed"));
            }
          });
      })
      .catch(function () {
        revert(root.getAttribute("data-msg-failed"));
      })
      .finally(function () {
        card.classList.remove("is-pending");
        card.removeAttribute("aria-busy");
      });
  }

  root.addEventListener("dragstart", function (event) {
    var card = event.target.closest && event.target.closest("[data-movable]");
    if (!card) return;
    dragged = card;
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-kind") + ":" + card.getAttribute("data-id"));
  });

  root.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("is-dragging");
    dragged = null;
    root.querySelectorAll(".is-drop-over").forEach(function (cell) {
      cell.classList.remove("is-drop-over");
    });
  });

  root.addEventListener("dragover", function (event) {
    var target = dayOf(event.target);
    if (!target || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    target.classList.add("is-drop-over");
  });

  root.addEventListener("dragleave", function (event) {
    var target = dayOf(event.target);
    if (target && !target.contains(event.relatedTarget)) target.classList.remove("is-drop-over");
  });

  root.addEventListener("drop", function (event) {
    var target = dayOf(event.target);
    if (!target || !dragged) return;
    event.preventDefault();
    target.classList.remove("is-drop-over");
    var card = dragged;
    dragged = null;
    card.classList.remove("is-dragging");
    move(card, target);
  });

  root.querySelectorAll("[data-copy-target]").forEach(function (button) {
    button.addEventListener("click", function () {
      var input = document.getElementById(button.getAttribute("data-copy-target"));
      input.select();
      var done = function () {
        say(root.getAttribute("data-msg-copied"), false);
      };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(input.value).then(done, function () {
          document.execCommand("copy");
          done();
        });
      } else {
        document.execCommand("copy");
        done();
      }
    });
  });
})();
