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

// The image button: uploads the file with its alt text (the API re-encodes it) and inserts
// the Markdown it answers, ![alt](img:name), where the cursor last was. Without JavaScript
// the section stays hidden (an image is uploaded through the API).
(function () {
  "use strict";
  var lastField = null;
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el && el.form && el.form.id === "question-form" && (el.tagName === "TEXTAREA" || el.type === "text") && el.id !== "image-alt") {
      lastField = el;
    }
  });
  function insert(field, text) {
    var start = field.selectionStart == null ? field.value.length : field.selectionStart;
    var end = field.selectionEnd == null ? start : field.selectionEnd;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.selectionStart = field.selectionEnd = start + text.length;
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.focus();
  }
  function setup() {
    var box = document.querySelector(".image-upload");
    if (!box) return;
    box.hidden = false;
    var button = document.getElementById("image-insert");
    var status = document.getElementById("image-status");
    button.addEventListener("click", function () {
      var file = document.getElementById("image-file");
      var alt = document.getElementById("image-alt");
      if (!file.files.length) { status.textContent = "Choose an image file first."; file.focus(); return; }
      if (!alt.value.trim()) { status.textContent = "Alt text is required: say what the image shows."; alt.focus(); return; }
      var data = new FormData();
      data.append("image", file.files[0]);
      data.append("alt", alt.value);
      var token = document.querySelector("#question-form input[name=csrfmiddlewaretoken]");
      status.textContent = "Uploading…";
      button.disabled = true;
      fetch(box.getAttribute("data-upload-url"), {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token ? token.value : "", "Accept": "application/json" },
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; }, function () {
          return { ok: false, body: { detail: "The upload was refused (" + response.status + ")." } };
        });
      }).then(function (result) {
        button.disabled = false;
        if (!result.ok) { status.textContent = result.body.detail || "The upload was refused."; return; }
        var target = lastField || document.getElementById("id_prompt");
        insert(target, result.body.markdown);
        status.textContent = "Inserted into " + (target.labels && target.labels.length ? target.labels[0].textContent : "the prompt") + ".";
        file.value = "";
        alt.value = "";
      }, function () {
        button.disabled = false;
        status.textContent = "The upload failed: check the connection and try again.";
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
