// The publishing calendar: drag an entry to another day (HTML5 drag-and-drop), copy the
// iCal address. Every text shown comes from the server or the template (translated).
(function () {
  "use strict";

  var root = document.getElementById("crieur-calendar");
  if (!root) return;
  var messages = root.querySelector(".crieur-cal-live");
  var statusRegion = document.getElementById("calendar-status");
  var alertRegion = document.getElementById("calendar-alert");
  var closeButton = messages ? messages.querySelector("[data-close-message]") : null;
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  var dragged = null;

  // The messages sit in a live region fixed at the bottom of the window: wherever the
  // entry was dropped, the person sees what happened and screen readers announce it.
  function say(message, isError) {
    statusRegion.textContent = isError ? "" : message;
    alertRegion.textContent = isError ? message : "";
    if (messages) messages.classList.toggle("has-message", Boolean(message));
    if (closeButton) closeButton.hidden = !message;
  }

  if (closeButton) {
    closeButton.addEventListener("click", function () {
      say("", false);
    });
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && messages && messages.classList.contains("has-message")) say("", false);
  });

  // Dragging near the top or bottom of the visible area scrolls it, faster closer to the
  // edge, so that a day below the fold (or above it) can be reached. In Wagtail's admin
  // the page's main area scrolls, not the window; browsers do not all scroll it while
  // dragging.
  var EDGE = 80;
  var MAX_STEP = 24;
  var scrollSpeed = 0;
  var scrolling = false;

  function scrollerOf(element) {
    for (var node = element.parentElement; node && node !== document.body; node = node.parentElement) {
      var overflow = window.getComputedStyle(node).overflowY;
      if ((overflow === "auto" || overflow === "scroll") && node.scrollHeight > node.clientHeight) return node;
    }
    return document.scrollingElement || document.documentElement;
  }
  var scroller = null; // found when a drag starts: the layout may have changed

  function edgeSpeed(y) {
    var isPage = scroller === document.scrollingElement || scroller === document.documentElement;
    var rect = isPage ? { top: 0, bottom: window.innerHeight } : scroller.getBoundingClientRect();
    var top = Math.max(rect.top, 0);
    var bottom = Math.min(rect.bottom, window.innerHeight);
    if (y < top + EDGE) return -Math.ceil((MAX_STEP * (top + EDGE - Math.max(y, top))) / EDGE);
    if (y > bottom - EDGE) return Math.ceil((MAX_STEP * (Math.min(y, bottom) - (bottom - EDGE))) / EDGE);
    return 0;
  }

  function scrollStep() {
    if (!dragged || !scrollSpeed) {
      scrolling = false;
      return;
    }
    scroller.scrollTop += scrollSpeed;
    window.requestAnimationFrame(scrollStep);
  }

  function followPointer(y) {
    scrollSpeed = edgeSpeed(y);
    if (scrollSpeed && !scrolling) {
      scrolling = true;
      window.requestAnimationFrame(scrollStep);
    }
  }

  function stopScrolling() {
    scrollSpeed = 0;
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
    scroller = scrollerOf(root);
    say("", false); // an earlier message would hide the bottom of the window
    card.classList.add("is-dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.getAttribute("data-kind") + ":" + card.getAttribute("data-id"));
  });

  // Over the whole page, not only the calendar: near the top edge the pointer is often
  // over the page's header.
  document.addEventListener("dragover", function (event) {
    if (dragged) followPointer(event.clientY);
  });

  root.addEventListener("dragend", function () {
    stopScrolling();
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
    stopScrolling();
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
