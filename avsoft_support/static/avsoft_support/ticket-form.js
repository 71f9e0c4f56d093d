/*
 * avsoft_support ticket and reply forms: check attachments in the browser before anything is
 * uploaded, and show the "other product" name only when "Other" is chosen.
 *
 * No inline script anywhere (the pages send a strict Content-Security-Policy): everything this
 * needs comes from data- attributes that the server renders, translated:
 *   <form data-avs-ticket-form>
 *   <input type="file" data-max-size="307200" data-max-files="5" data-max-size-text="300 KB"
 *          data-msg-too-large="“{name}” is {size} ({bytes}); each file may be at most {limit}."
 *          data-msg-too-many="You chose {count} files; at most {max} files ..."
 *          data-byte-unit="bytes" data-kb-unit="KB" data-mb-unit="MB">
 *   <div data-avs-file-status="id_attachments" aria-live="polite"></div>
 * The server checks the same limits again; this only spares the customer a useless upload.
 *
 * Very long file names are shortened here, the extension kept: Django refuses a request whose
 * file part header passes 1,024 bytes (a bare "400 Bad Request" before any view of ours could
 * keep the typed ticket), and the server keeps 255 characters of a name anyway.
 */
(function () {
  "use strict";

  var lang = document.documentElement.lang || undefined;

  function format(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function exactBytes(input, size) {
    return size.toLocaleString(lang) + " " + (input.dataset.byteUnit || "bytes");
  }

  function humanSize(input, size) {
    if (size < 1024) {
      return exactBytes(input, size);
    }
    var value = size / 1024;
    var unit = input.dataset.kbUnit || "KB";
    if (size >= 1024 * 1024) {
      value = size / (1024 * 1024);
      unit = input.dataset.mbUnit || "MB";
    }
    var rounded = Math.round(value * 10) / 10;
    return rounded.toLocaleString(lang, { maximumFractionDigits: 1 }) + " " + unit;
  }

  // Bytes of a name in the request's part header; Django's limit is 1,024 for the whole header.
  var MAX_NAME_BYTES = 240;
  var encoder = window.TextEncoder ? new TextEncoder() : null;

  function nameBytes(name) {
    return encoder ? encoder.encode(name).length : name.length * 3;
  }

  function shortName(name) {
    var dot = name.lastIndexOf(".");
    var ext = dot > 0 && name.length - dot <= 17 ? name.slice(dot) : "";
    var stem = Array.from(ext ? name.slice(0, dot) : name);
    while (stem.length && nameBytes(stem.join("") + ext) > MAX_NAME_BYTES) {
      stem.pop();
    }
    return stem.join("") + ext;
  }

  function shortenLongNames(input) {
    var files = Array.prototype.slice.call(input.files || []);
    var tooLong = files.some(function (file) {
      return nameBytes(file.name) > MAX_NAME_BYTES;
    });
    if (!tooLong || !window.DataTransfer || !window.File) {
      return;
    }
    var transfer = new DataTransfer();
    files.forEach(function (file) {
      var name = nameBytes(file.name) > MAX_NAME_BYTES ? shortName(file.name) : file.name;
      transfer.items.add(
        name === file.name ? file : new File([file], name, { type: file.type, lastModified: file.lastModified })
      );
    });
    input.files = transfer.files;
  }

  function statusFor(input) {
    return document.querySelector('[data-avs-file-status="' + input.id + '"]');
  }

  function check(input) {
    var maxSize = parseInt(input.dataset.maxSize, 10);
    var maxFiles = parseInt(input.dataset.maxFiles, 10);
    var files = Array.prototype.slice.call(input.files || []);
    var problems = [];
    if (maxFiles && files.length > maxFiles) {
      problems.push(format(input.dataset.msgTooMany, { count: files.length, max: maxFiles }));
    }
    files.forEach(function (file) {
      if (maxSize && file.size > maxSize) {
        problems.push(
          format(input.dataset.msgTooLarge, {
            name: file.name,
            size: humanSize(input, file.size),
            bytes: exactBytes(input, file.size),
            limit: input.dataset.maxSizeText || humanSize(input, maxSize),
          })
        );
      }
    });
    input.setCustomValidity(problems.join(" "));
    input.setAttribute("aria-invalid", problems.length ? "true" : "false");
    render(input, files, problems);
    return problems.length === 0;
  }

  function render(input, files, problems) {
    var status = statusFor(input);
    if (!status) {
      return;
    }
    status.textContent = "";
    if (problems.length) {
      var errors = document.createElement("ul");
      errors.className = "avs-file-errors";
      problems.forEach(function (text) {
        var item = document.createElement("li");
        item.className = "avs-field-error";
        item.textContent = text;
        errors.appendChild(item);
      });
      status.appendChild(errors);
    }
    if (files.length) {
      var list = document.createElement("ul");
      list.className = "avs-file-list";
      files.forEach(function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + humanSize(input, file.size) + ")";
        list.appendChild(item);
      });
      status.appendChild(list);
    }
    // The status region describes the input too, so a screen reader hears the problem on focus.
    var describedBy = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (describedBy.indexOf(status.id) === -1) {
      describedBy.push(status.id);
      input.setAttribute("aria-describedby", describedBy.join(" "));
    }
  }

  function setupOtherProduct(form) {
    var select = form.querySelector('select[name$="product"]');
    var other = form.querySelector('input[name$="product_other"]');
    if (!select || !other) {
      return;
    }
    var wrapper = other.closest(".avs-field") || other;
    function toggle() {
      var needed = select.value === "other";
      var hasError = wrapper.classList.contains("avs-field--error");
      wrapper.hidden = !needed && !hasError && !other.value;
      other.required = needed;
    }
    select.addEventListener("change", toggle);
    toggle();
  }

  function setup(form) {
    var inputs = Array.prototype.slice.call(form.querySelectorAll('input[type="file"][data-max-size]'));
    inputs.forEach(function (input) {
      input.addEventListener("change", function () {
        shortenLongNames(input);
        check(input);
      });
      if (input.files && input.files.length) {
        check(input);
      }
    });
    setupOtherProduct(form);
    form.addEventListener("submit", function (event) {
      var firstBad = null;
      inputs.forEach(function (input) {
        if (!check(input) && !firstBad) {
          firstBad = input;
        }
      });
      if (firstBad) {
        event.preventDefault();
        firstBad.focus();
        return;
      }
      // One click, one ticket: a second press while uploading sends nothing more.
      var buttons = form.querySelectorAll('button[type="submit"]');
      window.setTimeout(function () {
        Array.prototype.forEach.call(buttons, function (button) {
          button.disabled = true;
        });
      }, 0);
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-avs-ticket-form]"), setup);
  }

  // Back to a page kept in the browser's cache: its buttons work again.
  window.addEventListener("pageshow", function () {
    Array.prototype.forEach.call(
      document.querySelectorAll('form[data-avs-ticket-form] button[type="submit"]'),
      function (button) {
        button.disabled = false;
      }
    );
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
