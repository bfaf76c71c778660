// Keyboard study: number keys pick choices (or rate 1-4 where rating buttons are shown),
// Space/Enter reveals, checks or goes to the next card, U undoes. Space and Enter never rate:
// on a revealed flashcard they do nothing, and the focus is on the answer, not on a button. Loaded from a file: the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  var shownAt = Date.now();

  function panel() { return document.getElementById("panel"); }

  function typing(target) {
    return target && (target.tagName === "INPUT" && target.type === "text" || target.tagName === "TEXTAREA" || target.isContentEditable);
  }

  function stampResponseTime(form) {
    var field = form && form.querySelector("input[name=response_ms]");
    if (field) field.value = String(Date.now() - shownAt);
  }

  document.addEventListener("submit", function (event) { stampResponseTime(event.target); }, true);
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.parameters && "response_ms" in event.detail.parameters) {
      event.detail.parameters.response_ms = String(Date.now() - shownAt);
    }
  });
  // htmx:load fires on the swapped-in panel (an outerHTML swap detaches the old target).
  document.addEventListener("htmx:load", function () {
    shownAt = Date.now();
    var p = panel();
    if (!p) return;
    // The main action first; never a rating button, which Space or Enter would then press.
    // After an answer, the verdict: focusing "Next card" at the bottom would scroll the
    // verdict out of view (Space and Enter still go on from the verdict: see keydown).
    var focusable = p.querySelector("#answer-text") || p.querySelector("#reveal") || p.querySelector("#verdict") ||
      p.querySelector("#answer-region");
    if (focusable) focusable.focus({ preventScroll: false });
  });

  document.addEventListener("keydown", function (event) {
    var p = panel();
    if (!p || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return; // Enter in a text box submits its form natively
    var key = event.key;
    var rating = p.querySelector('.rate[data-rating="' + key + '"]');
    if (rating) { event.preventDefault(); rating.click(); return; }
    if (/^[1-9]$/.test(key)) {
      var option = p.querySelector('input[data-index="' + key + '"]');
      if (option) {
        event.preventDefault();
        if (option.type === "checkbox") { option.checked = !option.checked; } else { option.checked = true; }
        option.focus();
      }
      return;
    }
    if (key === " " || key === "Enter") {
      if (p.getAttribute("data-mode") === "reveal" && (p.contains(event.target) || event.target === document.body)) {
        event.preventDefault(); // the answer is shown: rating is 1-4 only
        return;
      }
      if (event.target && (event.target.tagName === "BUTTON" || event.target.tagName === "A") && key === "Enter") return;
      var form = p.querySelector("#answer-form");
      var action = p.querySelector('[data-key="space"]');
      if (form && form.querySelector("input:checked")) {
        event.preventDefault();
        form.requestSubmit();
      } else if (action) {
        event.preventDefault();
        action.click();
      }
      return;
    }
    if (key === "u" || key === "U") {
      var undo = p.querySelector('[data-key="u"]');
      if (undo) { event.preventDefault(); undo.click(); }
    }
  });
})();
