/* The session page (treatments/_session_page.html), issue #13 "At the chair and at the desk".
 *
 * - After an htmx action the card whose form was posted stays where it was in the window
 *   (the page above it may have grown or shrunk) and takes the focus, or its errors box after
 *   a refusal; the button pressed may be gone. A card that is gone (the discharge step after a
 *   discharge) hands over to the top of the page, with the new status and the messages.
 * - The status poll (#session-poll) skips its tick, and a poll's answer is not swapped in,
 *   while any form on the page holds input not yet saved or a section the user opened.
 * - "Fill in the GAD-7 now" opens the questionnaire.
 *
 * Loaded from session.html (no inline script: the Content-Security-Policy forbids it). Without
 * JavaScript every form still posts and the page reloads.
 */
(function () {
  "use strict";

  var anchor = null; // {id, top}: the card of the form being posted

  function page() {
    return document.getElementById("session-page");
  }

  function selectEdited(select) {
    var initial = 0;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].defaultSelected) initial = i;
    }
    return select.selectedIndex !== initial;
  }

  function edited(root) {
    if (!root) return false;
    var fields = root.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.type === "hidden") continue;
      if (f.tagName === "SELECT") {
        if (selectEdited(f)) return true;
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.value !== f.defaultValue) {
        return true;
      }
    }
    return root.querySelector("details[data-opened][open]") !== null;
  }

  function focusOn(element) {
    if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
    element.focus({ preventScroll: true });
  }

  function isPoll(event) {
    var elt = event.detail && event.detail.elt;
    return !!elt && elt.id === "session-poll";
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) return;
    var opener = target.closest("a[data-opens]");
    if (opener) {
      var details = document.getElementById(opener.getAttribute("data-opens"));
      if (details) {
        details.open = true;
        details.setAttribute("data-opened", "");
      }
    }
    var summary = target.closest("summary");
    if (summary && summary.parentElement) summary.parentElement.setAttribute("data-opened", "");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (isPoll(event)) {
      if (edited(page())) event.preventDefault();
      return;
    }
    var elt = event.detail.elt;
    var card = elt instanceof Element ? elt.closest("#session-page section[id]") : null;
    anchor = card ? { id: card.id, top: card.getBoundingClientRect().top } : null;
  });

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (isPoll(event) && edited(page())) event.detail.shouldSwap = false;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (isPoll(event) || !anchor) return;
    var was = anchor;
    anchor = null;
    var root = page();
    var id = (root && root.getAttribute("data-acted")) || was.id; // the server's word first
    if (root) root.removeAttribute("data-acted"); // read once: a later vitals swap is its own
    var card = document.getElementById(id);
    if (!card) {
      var head = document.getElementById("session-head");
      window.scrollTo(0, 0);
      if (head) focusOn(head);
      return;
    }
    if (id === was.id) window.scrollBy(0, card.getBoundingClientRect().top - was.top);
    var active = document.activeElement;
    if (active && active !== document.body && card.contains(active)) return; // e.g. autofocus
    var errors = document.getElementById(id + "-errors");
    var focus = errors && errors.textContent.trim() ? errors : card;
    focusOn(focus);
  });
})();
