/*
 * avsoft_support new-ticket form: help articles that may answer the question, shown while the
 * subject and description are typed.
 *
 * No inline script (the pages send a strict Content-Security-Policy): the server renders
 *   <div data-avs-help-suggestions data-url="…/new/articles/" data-subject="subject"
 *        data-description="description">
 *     <div aria-live="polite" data-avs-help-results>…</div>
 *     <button type="submit" name="see_articles" data-avs-help-step>See related articles</button>
 *   </div>
 * After a pause in typing, the typed subject and description are POSTed (with the form's CSRF
 * token; POST keeps the text out of URLs and logs) and the HTML fragment that comes back
 * replaces the live region's content, which screen readers then announce. The "See related
 * articles" button (the step without JavaScript, which reloads the page) asks at once instead,
 * without a reload, and moves the focus to the list.
 */
(function () {
  "use strict";

  var DELAY = 500;
  var MIN_LENGTH = 3;

  function setup(box) {
    var form = box.closest("form");
    var url = box.dataset.url;
    var results = box.querySelector("[data-avs-help-results]");
    if (!form || !url || !results || !window.fetch) {
      return;
    }
    var subject = form.elements[box.dataset.subject];
    var description = form.elements[box.dataset.description];
    var tokenInput = form.querySelector('input[name="csrfmiddlewaretoken"]');
    var timer = null;
    var lastQuery = null;
    var lastHtml = null;
    var pending = null;
    // The member asked for the list (the button, or Enter in the subject): focus it once shown.
    var focusWanted = false;

    function typed() {
      return [subject, description].map(function (field) {
        return field ? field.value.trim() : "";
      });
    }

    function show(html) {
      if (html !== lastHtml) {
        // Only a changed list is written: the live region announces every change.
        results.innerHTML = html;
        lastHtml = html;
      }
      if (focusWanted) {
        focusWanted = false;
        var first = results.querySelector("a, button");
        (first || results).focus();
      }
    }

    function ask(focus) {
      window.clearTimeout(timer);
      focusWanted = focusWanted || focus;
      var texts = typed();
      var query = texts.join("\n");
      if (query === lastQuery) {
        if (!pending) {
          show(lastHtml || ""); // nothing new to ask; the answer in flight focuses otherwise
        }
        return;
      }
      if ((texts[0] + texts[1]).length < MIN_LENGTH && !focus) {
        // Too little typed (e.g. all of it deleted): the list for older text goes.
        lastQuery = null;
        show("");
        return;
      }
      lastQuery = query;
      if (pending && pending.abort) {
        pending.abort();
      }
      var controller = window.AbortController ? new AbortController() : null;
      pending = controller || true;
      var body = new FormData();
      body.append(subject ? subject.name : "subject", texts[0]);
      body.append(description ? description.name : "description", texts[1]);
      fetch(url, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "" },
        signal: controller ? controller.signal : undefined,
      })
        .then(function (response) {
          // 429 (too many requests) carries a short message; other failures keep the list.
          if (response.ok || response.status === 429) {
            return response.text();
          }
          lastQuery = null;
          return null;
        })
        .then(function (html) {
          pending = null;
          if (html !== null) {
            show(html);
          } else {
            focusWanted = false;
          }
        })
        .catch(function (error) {
          // Aborted by newer typing (which has its own request), or the network is away: the
          // form works without the list.
          if (!error || error.name !== "AbortError") {
            pending = null;
            lastQuery = null;
            focusWanted = false;
          }
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        ask(false);
      }, DELAY);
    }

    [subject, description].forEach(function (field) {
      if (field) {
        field.addEventListener("input", later);
      }
    });

    var step = box.querySelector("[data-avs-help-step]");
    if (step) {
      // With JavaScript the step needs no reload (which would lose chosen files).
      step.addEventListener("click", function (event) {
        event.preventDefault();
        ask(true);
      });
    }

    // The step without JavaScript may have rendered a list already.
    if (results.innerHTML.trim()) {
      lastHtml = results.innerHTML;
      lastQuery = typed().join("\n");
    } else if (typed().join("").length >= MIN_LENGTH) {
      ask(false); // e.g. the form came back with errors, or the browser restored typed text
    }
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-avs-help-suggestions]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
