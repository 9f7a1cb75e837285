// Import progress: polls the job's JSON status and moves the bar; reloads the page
// (which then shows the counts or every bad row) when the job has finished.
// Widths are set through the CSSOM, which the Content-Security-Policy allows.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box) {
    return;
  }
  var bar = box.querySelector(".progress-bar");
  var wrapper = box.querySelector(".progress");
  function show(percent) {
    bar.style.width = percent + "%";
    bar.textContent = percent + "%";
    wrapper.setAttribute("aria-valuenow", String(percent));
  }
  show(parseInt(bar.dataset.width || "0", 10));
  if (box.dataset.finished === "1") {
    return;
  }
  var statusEl = box.querySelector("[data-status]");
  var countEl = box.querySelector("[data-count]");
  function poll() {
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json();
      })
      .then(function (data) {
        show(data.percent);
        box.dataset.percent = String(data.percent);
        if (statusEl) {
          statusEl.textContent = data.status_label;
        }
        if (countEl && data.total) {
          countEl.textContent = data.done.toLocaleString() + " / " + data.total.toLocaleString();
        }
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 400);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 2000);
      });
  }
  window.setTimeout(poll, 200);
})();
