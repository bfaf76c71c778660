// Sign-up: preselect the browser's own time zone (what Intl reports) in a select marked
// data-browser-zone, when the list has it. Without JavaScript the select keeps its default
// (UTC) and the student picks their zone by hand.
(function () {
  "use strict";
  function preselect() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    if (!zone) return;
    document.querySelectorAll("select[data-browser-zone]").forEach(function (select) {
      for (var i = 0; i < select.options.length; i++) {
        if (select.options[i].value === zone) {
          select.value = zone;
          return;
        }
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", preselect);
  else preselect();
})();
