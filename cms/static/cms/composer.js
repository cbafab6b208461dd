// The post editor's composer (cms/panels.py): the master message beside one tab per
// account the post goes to. Each tab shows the post as that network will show it, with
// its counter and problems, asked of the server (cms.composer) as the author types, so
// the editor, the approvers and the checks on save never disagree.
//
// - Ticking an account keeps its version's form (its DELETE field empty); unticking it
//   marks the form deleted. The tabs follow the WAI-ARIA tabs pattern (arrow keys, Home,
//   End, one tab stop).
// - A version follows the master message until "Customise for this network": its text
//   is then its own, and so are its images once one is unticked, moved (dragged, or
//   with the move buttons) or given an alt text for this network (kept as JSON in its
//   `media` field); "Back to the master message" empties both again.
// Everything written on the page from data is set as text; the cards are the server's
// own HTML (cms/includes/network_card.html), escaped there.
(function () {
  "use strict";

  const PREVIEW_DELAY = 300;

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, (whole, name) =>
      name in values ? String(values[name]) : whole,
    );
  }

  function start(root) {
    const stringsNode = document.getElementById("composer-strings");
    const strings = stringsNode ? JSON.parse(stringsNode.textContent) : {};
    const form = root.closest("form");
    const tablist = root.querySelector("[data-composer-tablist]");
    if (!form || !tablist) return;
    const previewUrl = root.dataset.previewUrl;
    const postId = root.dataset.postId || null;
    const timers = { preview: null, images: null };
    const pending = new Set();
    const requested = new Map();
    let requestCount = 0;
    let imageSignature = "";

    // -- The master message ---------------------------------------------------------

    function field(name) {
      return form.querySelector(`[name="${name}"]`);
    }

    function masterText() {
      const text = field("text");
      return text ? text.value : "";
    }

    function removed(child) {
      const deleted = child.querySelector("input[name$='-DELETE']");
      return Boolean(deleted && (deleted.value === "1" || deleted.checked));
    }

    function masterImages() {
      return Array.from(form.querySelectorAll("#id_images-FORMS > [data-inline-panel-child]"))
        .filter((child) => !removed(child))
        .map((child) => {
          const chosen = child.querySelector("input[name$='-image']");
          const alt = child.querySelector("[name$='-alt_text']");
          const thumbnail = child.querySelector("[data-chooser-image]");
          return {
            id: chosen && chosen.value ? Number(chosen.value) : null,
            alt: alt ? alt.value.trim() : "",
            src: thumbnail ? thumbnail.getAttribute("src") || "" : "",
          };
        })
        .filter((image) => image.id);
    }

    // -- Each account's version -----------------------------------------------------

    function versions() {
      return Array.from(root.querySelectorAll("[data-composer-version]"));
    }

    function versionOf(key) {
      return root.querySelector(`[data-composer-version="${key}"]`);
    }

    function tabOf(key) {
      return tablist.querySelector(`[data-composer-tab="${key}"]`);
    }

    function ticked(version) {
      return version.querySelector("[data-composer-delete]").value !== "1";
    }

    function own(version, name) {
      return version.querySelector(`[name="${version.dataset.composerVersion}-${name}"]`);
    }

    function readMedia(version) {
      const input = version.querySelector("[data-composer-media-input]");
      const value = input.value.trim();
      if (!value || value === "null") return null;
      try {
        const parsed = JSON.parse(value);
        return Array.isArray(parsed) ? parsed : null;
      } catch (error) {
        return null;
      }
    }

    function writeHidden(input, value) {
      if (input.value === value) return;
      input.value = value;
      // Wagtail's unsaved-changes warning and autosave listen for changes.
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function writeMedia(version, media) {
      const input = version.querySelector("[data-composer-media-input]");
      writeHidden(input, media === null ? "" : JSON.stringify(media));
    }

    function customised(version) {
      return version.dataset.customised === "true";
    }

    function showCustomised(version, on) {
      version.dataset.customised = on ? "true" : "false";
      version.querySelector("[data-composer-custom]").hidden = !on;
      version.querySelector("[data-composer-customise]").hidden = on;
      version.querySelector("[data-composer-reset]").hidden = !on;
      version.querySelector("[data-composer-status]").textContent = on
        ? strings.customised
        : strings.follows;
    }

    // The text becomes the network's own at once; the images only once one is
    // unticked, moved or given an alt text (until then the network gets the post's).
    function customise(version) {
      const text = own(version, "text");
      if (text && !text.value.trim()) text.value = masterText();
      showCustomised(version, true);
      renderMedia(version);
      if (text) text.focus();
      schedule([version.dataset.composerVersion]);
    }

    function reset(version) {
      const text = own(version, "text");
      if (text) text.value = "";
      writeMedia(version, null);
      showCustomised(version, false);
      renderMedia(version);
      version.querySelector("[data-composer-customise]").focus();
      schedule([version.dataset.composerVersion]);
    }

    function showThread(version) {
      const thread = version.querySelector("[data-composer-thread]");
      const chosen = own(version, "format");
      if (thread) thread.hidden = !chosen || chosen.value !== "thread";
    }

    // -- Images per network: a tick and an alt text under each thumbnail --------------

    function mediaItem(version, image, number, choice) {
      const key = version.dataset.composerVersion;
      const network = version.dataset.networkLabel;
      const item = document.createElement("li");
      item.className = "composer-media__item";
      item.dataset.image = String(image.id);
      item.dataset.included = choice ? "true" : "false";

      if (image.src) {
        const picture = document.createElement("img");
        picture.src = image.src;
        picture.alt = ""; // the tick's label names the image
        picture.draggable = true; // dragged to reorder; the move buttons do it by keyboard
        item.append(picture);
      }
      const tick = document.createElement("div");
      tick.className = "composer-media__tick";
      const box = document.createElement("input");
      box.type = "checkbox";
      box.id = `${key}-image-${image.id}`;
      box.checked = Boolean(choice);
      box.dataset.composerImageTick = "";
      const boxLabel = document.createElement("label");
      boxLabel.htmlFor = box.id;
      boxLabel.textContent = format(strings.include, { number, network });
      tick.append(box, boxLabel);
      item.append(tick);

      const altLabel = document.createElement("label");
      altLabel.htmlFor = `${key}-alt-${image.id}`;
      altLabel.className = "composer-media__alt-label";
      altLabel.textContent = format(strings.altText, { network });
      const alt = document.createElement("textarea");
      alt.id = altLabel.htmlFor;
      alt.rows = 2;
      alt.value = choice ? choice.alt_text || "" : "";
      alt.placeholder = format(strings.altPlaceholder, { alt: image.alt || strings.noAlt });
      alt.disabled = !choice;
      alt.dataset.composerImageAlt = "";
      item.append(altLabel, alt);

      const moves = document.createElement("div");
      moves.className = "composer-media__moves";
      for (const [direction, label, glyph] of [
        ["earlier", strings.earlier, "↑"],
        ["later", strings.later, "↓"],
      ]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button button-small button-secondary";
        button.dataset.composerMove = direction;
        button.setAttribute("aria-label", format(label, { number }));
        button.textContent = glyph;
        moves.append(button);
      }
      item.append(moves);
      return item;
    }

    function renderMedia(version) {
      const list = version.querySelector("[data-composer-media-list]");
      const images = masterImages();
      const numbers = new Map(images.map((image, index) => [image.id, index + 1]));
      const chosen = (readMedia(version) || []).filter((choice) => numbers.has(choice.image));
      const choices = new Map(chosen.map((choice) => [choice.image, choice]));
      const taken = readMedia(version) !== null;
      // The network's order first, then the images it does not get, in the post's order.
      const order = [
        ...chosen.map((choice) => images.find((image) => image.id === choice.image)),
        ...images.filter((image) => !choices.has(image.id)),
      ];
      list.replaceChildren(
        ...order.map((image) =>
          mediaItem(
            version,
            image,
            numbers.get(image.id),
            taken ? choices.get(image.id) : { image: image.id, alt_text: "" },
          ),
        ),
      );
      const help = version.querySelector("[data-composer-media-help]");
      if (help) help.textContent = images.length ? help.dataset.text || help.textContent : strings.noImages;
    }

    function mediaFromList(version) {
      const items = Array.from(version.querySelectorAll(".composer-media__item"));
      return items
        .filter((item) => item.querySelector("[data-composer-image-tick]").checked)
        .map((item) => ({
          image: Number(item.dataset.image),
          alt_text: item.querySelector("[data-composer-image-alt]").value.trim(),
        }));
    }

    function onMediaEdit(version, target) {
      const item = target.closest(".composer-media__item");
      if (target.matches("[data-composer-image-tick]")) {
        item.dataset.included = target.checked ? "true" : "false";
        item.querySelector("[data-composer-image-alt]").disabled = !target.checked;
      }
      writeMedia(version, mediaFromList(version));
      schedule([version.dataset.composerVersion]);
    }

    function move(version, button) {
      const item = button.closest(".composer-media__item");
      const sibling =
        button.dataset.composerMove === "earlier"
          ? item.previousElementSibling
          : item.nextElementSibling;
      if (!sibling) return;
      if (button.dataset.composerMove === "earlier") sibling.before(item);
      else sibling.after(item);
      button.focus();
      writeMedia(version, mediaFromList(version));
      schedule([version.dataset.composerVersion]);
    }

    // Dragging a thumbnail puts it before the one it is dropped on (or last).
    let dragged = null;

    function onDragStart(event) {
      const item = event.target.closest && event.target.closest(".composer-media__item");
      if (!item) return;
      dragged = item;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.image);
    }

    function onDragOver(event) {
      if (dragged && event.target.closest(".composer-media__list") === dragged.parentElement) {
        event.preventDefault();
      }
    }

    function onDrop(event) {
      if (!dragged) return;
      const list = event.target.closest(".composer-media__list");
      if (!list || list !== dragged.parentElement) return;
      event.preventDefault();
      const target = event.target.closest(".composer-media__item");
      if (target && target !== dragged) target.before(dragged);
      else if (!target) list.append(dragged);
      const version = list.closest("[data-composer-version]");
      dragged = null;
      writeMedia(version, mediaFromList(version));
      schedule([version.dataset.composerVersion]);
    }

    function masterImagesChanged() {
      const images = masterImages();
      const signature = JSON.stringify(images);
      if (signature === imageSignature) return;
      imageSignature = signature;
      const present = new Set(images.map((image) => image.id));
      for (const version of versions()) {
        const media = readMedia(version);
        // An image taken out of the post leaves every network's choice too.
        if (media !== null) writeMedia(version, media.filter((c) => present.has(c.image)));
        renderMedia(version);
      }
      schedule(null);
    }

    // -- Tabs (WAI-ARIA tabs pattern) -----------------------------------------------

    function shownTabs() {
      return Array.from(tablist.querySelectorAll("[role='tab']")).filter((tab) => !tab.hidden);
    }

    function select(tab, focus) {
      for (const other of tablist.querySelectorAll("[role='tab']")) {
        const selected = other === tab;
        other.setAttribute("aria-selected", selected ? "true" : "false");
        other.tabIndex = selected ? 0 : -1;
        versionOf(other.dataset.composerTab).hidden = !selected;
      }
      if (tab && focus) tab.focus();
    }

    function onTabKey(event) {
      const tabs = shownTabs();
      const at = tabs.indexOf(event.target.closest("[role='tab']"));
      if (at < 0 || !tabs.length) return;
      const next = {
        ArrowRight: (at + 1) % tabs.length,
        ArrowDown: (at + 1) % tabs.length,
        ArrowLeft: (at - 1 + tabs.length) % tabs.length,
        ArrowUp: (at - 1 + tabs.length) % tabs.length,
        Home: 0,
        End: tabs.length - 1,
      }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select(tabs[next], true);
    }

    function onTick(box) {
      const key = box.dataset.composerTick;
      const version = versionOf(key);
      const tab = tabOf(key);
      writeHidden(version.querySelector("[data-composer-delete]"), box.checked ? "" : "1");
      tab.hidden = !box.checked;
      if (box.checked) {
        select(tab, false);
        schedule([key]);
      } else if (tab.getAttribute("aria-selected") === "true" || !shownTabs().length) {
        select(shownTabs()[0] || null, false);
      }
      root.querySelector("[data-composer-empty]").hidden = shownTabs().length > 0;
    }

    // -- Previews, counters and problems from the server ------------------------------

    function payload(keys) {
      const documentField = field("document");
      return {
        post: postId,
        text: masterText(),
        link: field("link") ? field("link").value : "",
        document: documentField && documentField.value ? documentField.value : null,
        images: masterImages().map((image) => ({ image: image.id, alt_text: image.alt })),
        versions: versions()
          .filter((version) => ticked(version) && keys.has(version.dataset.composerVersion))
          .map((version) => ({
            key: version.dataset.composerVersion,
            account: version.querySelector("[data-composer-account]").value,
            text: customised(version) ? own(version, "text").value : "",
            format: own(version, "format") ? own(version, "format").value : "feed",
            thread_text: own(version, "thread_text") ? own(version, "thread_text").value : "",
            media: customised(version) ? readMedia(version) : null,
            first_comment: own(version, "first_comment") ? own(version, "first_comment").value : "",
          })),
      };
    }

    function markTab(key, state) {
      const tab = tabOf(key);
      if (!tab) return;
      const mark = tab.querySelector("[data-composer-tab-state]");
      mark.replaceChildren();
      if (state === "problem") {
        tab.dataset.state = "problem";
        const glyph = document.createElement("span");
        glyph.setAttribute("aria-hidden", "true");
        glyph.textContent = "⚠";
        const said = document.createElement("span");
        said.className = "w-sr-only";
        said.textContent = strings.problem;
        mark.append(glyph, said);
      } else {
        delete tab.dataset.state;
      }
    }

    function show(answer) {
      const version = versionOf(answer.key);
      if (!version) return;
      const counter = version.querySelector("[data-composer-counter]");
      counter.textContent = answer.summary;
      counter.dataset.state = answer.state;
      counter.dataset.length = answer.length;
      version.dataset.state = answer.state;
      // The server's card, escaped there (cms/includes/network_card.html).
      version.querySelector("[data-composer-preview]").innerHTML = answer.html;
      markTab(answer.key, answer.state);
    }

    function unavailable(keys) {
      for (const key of keys) {
        const version = versionOf(key);
        if (!version) continue;
        const counter = version.querySelector("[data-composer-counter]");
        counter.textContent = strings.unavailable;
        counter.dataset.state = "unavailable";
      }
    }

    // Whether previews are on their way (data-composer-busy), for whoever waits for them.
    let inFlight = 0;
    function showBusy() {
      root.dataset.composerBusy = inFlight > 0 || pending.size > 0 ? "true" : "false";
    }

    function send() {
      const keys = new Set(pending);
      pending.clear();
      const body = payload(keys);
      if (!body.versions.length) {
        showBusy();
        return;
      }
      const number = ++requestCount;
      inFlight += 1;
      showBusy();
      for (const version of body.versions) requested.set(version.key, number);
      const token = form.querySelector("input[name=csrfmiddlewaretoken]");
      fetch(previewUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "X-CSRFToken": token ? token.value : "",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
      })
        .then((response) => {
          const type = response.headers.get("Content-Type") || "";
          if (!response.ok || !type.includes("application/json")) throw new Error(response.status);
          return response.json();
        })
        .then((answer) => {
          for (const version of answer.versions) {
            if (requested.get(version.key) === number) show(version);
          }
        })
        .catch(() => unavailable(body.versions.map((version) => version.key)))
        .finally(() => {
          inFlight -= 1;
          showBusy();
        });
    }

    // keys: the versions to preview again, or null for every ticked one.
    function schedule(keys) {
      for (const version of versions()) {
        const key = version.dataset.composerVersion;
        if (keys === null || keys.includes(key)) pending.add(key);
      }
      clearTimeout(timers.preview);
      timers.preview = setTimeout(send, PREVIEW_DELAY);
      showBusy();
    }

    // -- Wiring ----------------------------------------------------------------------

    tablist.addEventListener("keydown", onTabKey);
    tablist.addEventListener("click", (event) => {
      const tab = event.target.closest("[role='tab']");
      if (tab) select(tab, true);
    });
    root.addEventListener("change", (event) => {
      if (event.target.matches("[data-composer-tick]")) onTick(event.target);
    });
    root.addEventListener("click", (event) => {
      const version = event.target.closest("[data-composer-version]");
      if (!version) return;
      if (event.target.closest("[data-composer-customise]")) customise(version);
      else if (event.target.closest("[data-composer-reset]")) reset(version);
      else if (event.target.closest("[data-composer-move]")) {
        move(version, event.target.closest("[data-composer-move]"));
      }
    });

    root.addEventListener("dragstart", onDragStart);
    root.addEventListener("dragover", onDragOver);
    root.addEventListener("drop", onDrop);
    root.addEventListener("dragend", () => {
      dragged = null;
    });

    function onEdit(event) {
      const target = event.target;
      const version = target.closest ? target.closest("[data-composer-version]") : null;
      if (version) {
        if (target.closest(".composer-media__item")) {
          onMediaEdit(version, target);
        } else {
          if (target === own(version, "format")) showThread(version);
          schedule([version.dataset.composerVersion]);
        }
        return;
      }
      if (target.closest && target.closest("#id_images-FORMS")) {
        clearTimeout(timers.images);
        timers.images = setTimeout(masterImagesChanged, 150);
      } else if (["text", "link", "document"].includes(target.name)) {
        schedule(null);
      }
    }
    form.addEventListener("input", onEdit);
    form.addEventListener("change", onEdit);

    // Images added, removed or chosen again in the master message.
    const imagesBox = form.querySelector("#id_images-FORMS");
    if (imagesBox) {
      new MutationObserver(() => {
        clearTimeout(timers.images);
        timers.images = setTimeout(masterImagesChanged, 150);
      }).observe(imagesBox, { childList: true, subtree: true, attributes: true });
    }

    imageSignature = JSON.stringify(masterImages());
    for (const version of versions()) {
      const help = version.querySelector("[data-composer-media-help]");
      if (help) help.dataset.text = help.textContent;
      showThread(version);
      renderMedia(version);
    }
    const tabs = shownTabs();
    select(tabs.find((tab) => tab.dataset.state === "problem") || tabs[0] || null, false);
    schedule(null);
  }

  function init() {
    document.querySelectorAll("[data-composer]").forEach(start);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
