// The campaign landing page's click beacon: one POST (with the CSRF token) when the page
// is shown to a person; the GET that rendered the page wrote nothing (mail scanners
// follow links but do not run scripts). A static file: allowed by the CSP.
(function () {
  "use strict";
  var section = document.getElementById("campaign-landing");
  if (!section) {
    return;
  }
  var url = section.getAttribute("data-click-url");
  var field = document.querySelector("#campaign-click-form input[name=csrfmiddlewaretoken]");
  if (!url || !field) {
    return;
  }
  var body = new FormData();
  body.append("csrfmiddlewaretoken", field.value);
  fetch(url, {
    method: "POST",
    body: body,
    credentials: "same-origin",
    headers: { "X-CSRFToken": field.value },
  }).then(function (response) {
    if (response.ok) {
      section.setAttribute("data-click-recorded", "1");
    }
  });
})();
