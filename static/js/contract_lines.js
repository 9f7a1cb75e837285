// "Add line" on the draft contract form: clones the formset's empty form.
(function () {
  "use strict";
  document.querySelectorAll(".js-add-line").forEach(function (button) {
    button.addEventListener("click", function () {
      var card = button.closest(".line-formset");
      var prefix = button.dataset.prefix;
      var total = card.querySelector('input[name="' + prefix + '-TOTAL_FORMS"]');
      var template = card.querySelector("template.js-line-template");
      var rows = card.querySelector(".js-line-rows");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      rows.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var first = rows.lastElementChild.querySelector("input");
      if (first) {
        first.focus();
      }
    });
  });
})();
