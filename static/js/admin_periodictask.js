// Periodic task admin form: show the crontab in words under the crontab field when it
// changes (what django-celery-beat does with an inline script, which the CSP blocks).
"use strict";
(function () {
  const $ = window.django && window.django.jQuery;
  const data = document.getElementById("readable-crontabs");
  if (!$ || !data) {
    return;
  }
  const readableCrontabs = JSON.parse(data.textContent);
  const help = $(".field-crontab .help");
  const originalHelp = help.text();
  $(".field-crontab_translation").hide();
  $(".field-crontab").on("change", function () {
    const words = readableCrontabs[$("#id_crontab").val()] || "";
    help.text(originalHelp);
    if (words) {
      help.append($("<br>"), document.createTextNode(words));
    }
  });
})();
