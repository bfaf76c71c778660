// Question editor: show only the fields the chosen kind uses, and fill the quote (and the
// cited passage) from a text selection inside a passage. Without JavaScript every field
// stays visible and the quote is typed by hand.
(function () {
  "use strict";
  function syncKind() {
    var kind = document.getElementById("id_kind");
    if (!kind) return;
    document.querySelectorAll(".kind-only").forEach(function (el) {
      var kinds = (el.getAttribute("data-kinds") || "").split(" ");
      el.hidden = kinds.indexOf(kind.value) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id === "id_kind") syncKind();
  });
  document.addEventListener("mouseup", function () {
    var selection = window.getSelection();
    if (!selection || selection.isCollapsed) return;
    var node = selection.anchorNode && selection.anchorNode.parentElement;
    var holder = node && node.closest(".pickable");
    if (!holder) return;
    var quote = document.getElementById("id_quote");
    var passage = document.getElementById("id_passage");
    if (quote) {
      quote.value = selection.toString().trim();
      quote.dispatchEvent(new Event("input", { bubbles: true }));
    }
    if (passage) {
      passage.value = holder.getAttribute("data-passage");
      passage.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
  document.addEventListener("DOMContentLoaded", syncKind);
})();
