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
  var endsAt = Date.now() + parseInt(timer.getAttribute("data-remaining"), 10) * 1000;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var left = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    label.textContent = Math.floor(left / 60) + ":" + pad(left % 60);
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
