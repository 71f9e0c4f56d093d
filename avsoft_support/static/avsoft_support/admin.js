/* avsoft_support admin: insert a canned reply into the message without leaving the page.
   Without JavaScript the "Insert" button posts the form and the server appends the text. */
(function () {
  "use strict";

  function insertAtCursor(textarea, text) {
    var start = textarea.selectionStart;
    var end = textarea.selectionEnd;
    var value = textarea.value;
    if (typeof start !== "number") {
      start = end = value.length;
    }
    var before = value.slice(0, start);
    var after = value.slice(end);
    var glueBefore = before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "";
    var glueAfter = after && !/^\n/.test(after) ? "\n\n" : "";
    textarea.value = before + glueBefore + text + glueAfter + after;
    var caret = (before + glueBefore + text).length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
    textarea.focus();
  }

  function setUp(form) {
    var button = form.querySelector("[data-avs-insert-canned]");
    var data = document.getElementById("avs-canned-replies");
    var select = form.querySelector("select[name$='canned_reply']");
    var textarea = form.querySelector("textarea[name$='body']");
    if (!button || !data || !select || !textarea) {
      return;
    }
    var texts = JSON.parse(data.textContent);
    button.addEventListener("click", function (event) {
      var text = texts[select.value];
      if (!text) {
        return; /* nothing chosen: let the server say so */
      }
      event.preventDefault();
      insertAtCursor(textarea, text);
      select.value = "";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-avs-reply-form]").forEach(setUp);
  });
})();
