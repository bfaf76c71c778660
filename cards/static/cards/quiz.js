// Quiz timer: counts down from the server's remaining seconds and submits the attempt at
// zero. The server enforces the deadline anyway; this only saves the student a reload.
(function () {
  "use strict";
  // Keep "N of M answered" true as htmx swaps in saved answers.
  // htmx:load fires for the swapped-in section itself (an outerHTML swap detaches the old
  // target, so events on it never reach the document).
  document.addEventListener("htmx:load", function () {
    var count = document.getElementById("answered-count");
    if (count) count.textContent = String(document.querySelectorAll(".quiz-item.answered").length);
  });
  var timer = document.querySelector(".timer[data-remaining]");
  if (!timer) return;
  var label = document.getElementById("time-left");
  // A polite live region says the minutes that matter, once each; the clock ticks silently.
  var announce = document.getElementById("time-left-announce");
  var MARKS = [10, 5, 2, 1];
  var endsAt = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
  var said = Math.ceil(parseInt(timer.getAttribute("data-remaining"), 10) / 60);
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function say(left) {
    if (!announce) return;
    for (var i = 0; i < MARKS.length; i++) {
      if (left <= MARKS[i] * 60 && MARKS[i] < said) {
        said = MARKS[i];
        announce.textContent = MARKS[i] === 1 ? "One minute left." : MARKS[i] + " minutes left.";
      }
    }
  }
  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    label.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
    say(left);
    if (left <= 60) timer.classList.add("urgent");
    if (left === 0) {
      var form = document.getElementById("submit-attempt");
      if (form) form.submit();
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
})();
