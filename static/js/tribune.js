// Enhancements only: every page works without this script.
(function () {
  "use strict";

  // The error summary takes focus so screen readers announce it, and its links move
  // focus to the field they name (the browser alone would only scroll to it).
  function enhanceErrorSummary(root) {
    var summary = root.querySelector(".govuk-error-summary");
    if (!summary) return;
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var input = document.getElementById(link.getAttribute("href").slice(1));
      if (!input) return;
      event.preventDefault();
      var legendOrLabel = input.closest("fieldset") ?
        input.closest("fieldset").querySelector("legend") :
        document.querySelector("label[for='" + input.id + "']");
      (legendOrLabel || input).scrollIntoView();
      input.focus({ preventScroll: true });
    });
  }

  // htmx sends the CSRF token as a header on every request it makes.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.body.getAttribute("data-csrf-token");
    if (token) event.detail.headers["X-CSRF-Token"] = token;
  });

  // A "Print this page" button is hidden until this script can make it print.
  function enablePrintButtons(root) {
    root.querySelectorAll("[data-tribune-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    enhanceErrorSummary(document);
    enablePrintButtons(document);
  });
})();
