// Insights dashboard: charts from <script type="application/json"> blocks (data, not
// code, so the Content-Security-Policy allows them) and Bootstrap tooltips for the
// metric definitions. A click on a bar or point opens the contracts behind it.
(function () {
  "use strict";

  document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
    if (window.bootstrap && window.bootstrap.Tooltip) {
      new window.bootstrap.Tooltip(el);
    }
  });

  if (typeof window.Chart === "undefined") {
    return;
  }
  var palette = ["#0d6efd", "#198754", "#6f42c1", "#fd7e14", "#dc3545", "#20c997", "#6c757d"];

  document.querySelectorAll("canvas.js-chart").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.source);
    if (!source) {
      return;
    }
    var spec = JSON.parse(source.textContent);
    var datasets = spec.datasets.map(function (ds, i) {
      var colour = palette[i % palette.length];
      return {
        label: ds.label,
        data: ds.data,
        borderColor: colour,
        backgroundColor: colour,
        spanGaps: true,
        tension: 0.2,
        pointRadius: 3,
        // Points on the axis (a 0 % month) are drawn whole, not cut by the chart area.
        clip: false,
      };
    });
    var chart = new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: !!spec.stacked },
          y: {
            stacked: !!spec.stacked,
            beginAtZero: true,
            // A rate reads against 0-100 %: with only 0 % months Chart.js would otherwise
            // draw an axis of 0-1 % with the points lost on its edge. Above 100 % (NRR) the
            // axis grows.
            suggestedMax: spec.percent ? 100 : undefined,
            ticks: spec.percent
              ? {
                  precision: 0,
                  callback: function (v) {
                    return v + "%";
                  },
                }
              : { precision: 0 },
          },
        },
        onClick: function (event) {
          var points = chart.getElementsAtEventForMode(event, "index", { intersect: false }, false);
          if (points.length && spec.links && spec.links[points[0].index]) {
            window.location.assign(spec.links[points[0].index]);
          }
        },
      },
    });
    canvas.dataset.ready = "1";
  });
})();
