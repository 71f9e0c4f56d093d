/* The corner login box posts from pages cached for every visitor, so its HTML carries no CSRF
 * token. On submit, copy the token from Django's CSRF cookie into the form. A first-time visitor
 * has no cookie yet: fetch the login page once (it sets one), then submit. Where that fails
 * (no cookie, HttpOnly cookie), the form goes as it is and the login page asks once more. */
(function () {
  "use strict";

  function cookie(name) {
    var found = document.cookie.split(/;\s*/).filter(function (pair) {
      return pair.indexOf(name + "=") === 0;
    })[0];
    return found ? decodeURIComponent(found.slice(name.length + 1)) : "";
  }

  function fillToken(form) {
    var token = cookie(form.getAttribute("data-csrf-cookie") || "csrftoken");
    if (!token) {
      return false;
    }
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "csrfmiddlewaretoken";
      form.appendChild(input);
    }
    input.value = token;
    return true;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-avs-login-widget")) {
      return;
    }
    if (fillToken(form) || form.hasAttribute("data-avs-fetched") || !window.fetch) {
      return;
    }
    event.preventDefault();
    form.setAttribute("data-avs-fetched", "");
    var submit = function () {
      fillToken(form);
      form.submit();
    };
    window.fetch(form.action, { credentials: "same-origin" }).then(submit, submit);
  });
})();
