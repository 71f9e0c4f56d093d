/* avsoft_support admin: insert a canned reply into the message without leaving the page.
   Without JavaScript the "Insert" button posts the form and the server appends the text.
   On the ticket screen, poll the presence endpoint (data-url, every data-interval seconds)
   and show who else has the ticket open and whether a reply came meanwhile; without
   JavaScript the server shows the same when the page loads. */
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

  function showNotices(region, notices) {
    var paragraphs = notices.map(function (text) {
      var p = document.createElement("p");
      p.className = "avs-presence__notice";
      p.textContent = text;
      return p;
    });
    region.replaceChildren.apply(region, paragraphs);
  }

  function pollPresence(region) {
    var url = region.getAttribute("data-url");
    var seconds = parseFloat(region.getAttribute("data-interval")) || 25;
    var seen = region.getAttribute("data-seen") || "";
    var shown = JSON.stringify(
      Array.prototype.map.call(region.querySelectorAll("p"), function (p) {
        return p.textContent.trim();
      })
    );
    if (!url || !window.fetch) {
      return;
    }
    function poll() {
      fetch(url + "?seen=" + encodeURIComponent(seen), {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          var key = data && JSON.stringify(data.notices);
          if (data && key !== shown) {
            shown = key; /* only a change is announced again */
            showNotices(region, data.notices);
          }
        })
        .catch(function () {}); /* offline for a moment: the next poll tries again */
    }
    window.setInterval(poll, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-avs-reply-form]").forEach(setUp);
    document.querySelectorAll("[data-avs-presence]").forEach(pollPresence);
  });
})();
