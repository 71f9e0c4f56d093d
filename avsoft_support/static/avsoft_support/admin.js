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

  /* The draft: what is typed in the ticket form (message, kind, status, assignee,
     criticality) is kept in this browser's localStorage as it is typed, and put back when the
     screen opens with an empty box (a reload, a crash, a failed send that lost the page).
     A send marks the draft as pending in sessionStorage; the next screen that shows a success
     message with an empty box (the same ticket) or any other ticket (after "next") drops it. */
  var PENDING = "avs-draft-pending";

  function storage(kind) {
    try {
      var store = window[kind];
      store.setItem("avs-probe", "1");
      store.removeItem("avs-probe");
      return store;
    } catch (error) {
      return null; /* private mode or storage off: the server still keeps failed sends */
    }
  }

  function draftFields(form) {
    return Array.prototype.filter.call(form.elements, function (element) {
      return (
        element.name &&
        /^(reply-(body|kind)|controls-(status|assignee|criticality))$/.test(element.name)
      );
    });
  }

  function readDraft(form) {
    var data = {};
    draftFields(form).forEach(function (element) {
      if (element.type === "radio") {
        if (element.checked) {
          data[element.name] = element.value;
        }
      } else {
        data[element.name] = element.value;
      }
    });
    return data;
  }

  function writeDraft(form, data) {
    draftFields(form).forEach(function (element) {
      if (!(element.name in data)) {
        return;
      }
      if (element.type === "radio") {
        element.checked = element.value === data[element.name];
      } else {
        element.value = data[element.name];
      }
    });
  }

  function keepDrafts(form) {
    var key = form.getAttribute("data-avs-draft-key");
    var local = storage("localStorage");
    var session = storage("sessionStorage");
    var body = form.querySelector("textarea[name='reply-body']");
    if (!key || !local || !body) {
      return;
    }
    var succeeded = !!document.querySelector(".messages .success, .messages li.success");
    var pending = session && session.getItem(PENDING);
    if (pending && succeeded && (pending !== key || !body.value.trim())) {
      local.removeItem(pending); /* sent: the draft has done its work */
      session.removeItem(PENDING);
    }
    var saved = local.getItem(key);
    if (saved && !body.value.trim()) {
      try {
        writeDraft(form, JSON.parse(saved));
        form.setAttribute("data-avs-draft-restored", "");
      } catch (error) {
        local.removeItem(key);
      }
    }
    function save() {
      var data = readDraft(form);
      if (data["reply-body"] && data["reply-body"].trim()) {
        local.setItem(key, JSON.stringify(data));
      } else {
        local.removeItem(key);
      }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    form.addEventListener("submit", function (event) {
      save();
      var submitter = event.submitter;
      var sending = !(submitter && (submitter.name === "save_only" || submitter.name === "insert_canned"));
      if (session && sending && body.value.trim()) {
        session.setItem(PENDING, key);
      }
    });
  }

  /* Keyboard: the reply box takes the focus when the ticket was opened from the queue;
     Ctrl+Enter (Cmd+Enter) sends, with Shift it sends and opens the next ticket. */
  function keyboard(form) {
    var body = form.querySelector("textarea[name='reply-body']");
    function focusBody() {
      var active = document.activeElement;
      if (active && active !== document.body && form.contains(active)) {
        return; /* the agent is already in the form */
      }
      body.focus();
      body.setSelectionRange(body.value.length, body.value.length);
    }
    if (body && form.hasAttribute("data-avs-focus")) {
      focusBody();
      /* Wagtail's own scripts may move the focus once they start (to a message shown after
         a send): the reply box takes it back once, when the page has loaded. */
      window.addEventListener("load", function () {
        window.setTimeout(focusBody, 0);
      });
    }
    /* Alt+R: write a public reply, Alt+N: an internal note (the box takes the focus). */
    document.addEventListener("keydown", function (event) {
      if (!event.altKey || event.ctrlKey || event.metaKey || !body) {
        return;
      }
      var kind = { r: "reply", n: "note" }[(event.code || "").replace("Key", "").toLowerCase()];
      var radio = kind && form.querySelector("input[name='reply-kind'][value='" + kind + "']");
      if (!radio) {
        return;
      }
      event.preventDefault();
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      body.focus();
    });
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) {
        return;
      }
      var button = form.querySelector(event.shiftKey ? "[data-avs-send-next]" : "[data-avs-send]");
      if (!button) {
        return;
      }
      event.preventDefault();
      if (form.requestSubmit) {
        form.requestSubmit(button);
      } else {
        button.click();
      }
    });
  }

  /* Wagtail's keyboard shortcuts dialog ("?") has no way to add a section: ours is added to
     its table on this screen, from the list the template gives (#avs-shortcuts). */
  function listShortcuts() {
    var data = document.getElementById("avs-shortcuts");
    var table = document.querySelector("#keyboard-shortcuts-dialog table");
    if (!data || !table) {
      return;
    }
    var section = JSON.parse(data.textContent);
    var group = document.createElement("tbody");
    group.className = "w-w-full";
    var head = document.createElement("tr");
    head.className = "w-keyboard-shortcuts__category";
    var title = document.createElement("th");
    title.className = "w-h4";
    title.scope = "rowgroup";
    title.textContent = section.title;
    head.appendChild(title);
    group.appendChild(head);
    section.shortcuts.forEach(function (pair) {
      var row = document.createElement("tr");
      row.className = "w-keyboard_shortcuts__key";
      var name = document.createElement("th");
      name.scope = "row";
      name.textContent = pair[0];
      var keys = document.createElement("td");
      var kbd = document.createElement("kbd");
      kbd.textContent = pair[1];
      keys.appendChild(kbd);
      row.appendChild(name);
      row.appendChild(keys);
      group.appendChild(row);
    });
    table.insertBefore(group, table.querySelector("tbody"));
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-avs-reply-form]").forEach(function (form) {
      setUp(form);
      keepDrafts(form);
      keyboard(form);
    });
    document.querySelectorAll("[data-avs-presence]").forEach(pollPresence);
    listShortcuts();
  });
})();
