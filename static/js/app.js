// Behaviour shared by every page. Loaded as a file: the Content-Security-Policy forbids inline scripts.
(function () {
  "use strict";

  // <select class="js-autosubmit"> submits its form when changed (language switcher, filters).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLSelectElement && el.classList.contains("js-autosubmit") && el.form) {
      el.form.submit();
    }
  });

  // <form data-confirm="Are you sure?"> asks before submitting (void, auto-renew off...).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  });
})();
