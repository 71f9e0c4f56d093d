// A form sent back with errors: move focus to the summary at the top, so keyboard and
// screen-reader users start from the list of what to correct (each item links to its field).
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector(".avs-error-summary");
    if (summary) {
      summary.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
})();
