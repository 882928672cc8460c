/* Charts of the statistics page, drawn by the vendored Chart.js from the JSON data block (no inline script). */
(function () {
  "use strict";
  var block = document.getElementById("stats-data");
  if (!block || !window.Chart) { return; }
  var d = JSON.parse(block.textContent);
  var palette = ["#1f5fa8", "#d9822b", "#2e8b57", "#b03a2e", "#7d3c98", "#16a085", "#a07d1c", "#5d6d7e", "#c0392b"];
  function color(i) { return palette[i % palette.length]; }
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new window.Chart(canvas, config); }
  }
  var stacked = {x: {stacked: true}, y: {stacked: true, beginAtZero: true, ticks: {precision: 0}}};

  chart("chart-categories", {
    type: "bar",
    data: {labels: d.labels, datasets: d.per_category.map(function (c, i) {
      return {label: c.label, data: c.data, backgroundColor: color(i)};
    })},
    options: {scales: stacked, animation: false}
  });
  chart("chart-open-resolved", {
    type: "line",
    data: {labels: d.labels, datasets: [
      {label: d.texts.opened, data: d.opened, borderColor: color(1), backgroundColor: color(1)},
      {label: d.texts.resolved, data: d.resolved, borderColor: color(2), backgroundColor: color(2)}
    ]},
    options: {scales: {y: {beginAtZero: true, ticks: {precision: 0}}}, animation: false}
  });
  chart("chart-resolution", {
    type: "bar",
    data: {labels: d.resolution.map(function (r) { return r.label; }),
           datasets: [{label: d.texts.hours, data: d.resolution.map(function (r) { return r.hours; }),
                       backgroundColor: color(0)}]},
    options: {indexAxis: "y", animation: false}
  });
  chart("chart-messages", {
    type: "bar",
    data: {labels: d.messages.map(function (m) { return m.label; }), datasets: [
      {label: d.texts.inbound, data: d.messages.map(function (m) { return m["in"]; }), backgroundColor: color(0)},
      {label: d.texts.outbound, data: d.messages.map(function (m) { return m.out; }), backgroundColor: color(1)}
    ]},
    options: {scales: stacked, animation: false}
  });
  chart("chart-low", {
    type: "line",
    data: {labels: d.labels, datasets: [{label: d.texts.low_share, data: d.low_share, borderColor: color(3),
                                         backgroundColor: color(3), spanGaps: true}]},
    options: {scales: {y: {beginAtZero: true, suggestedMax: 100}}, animation: false}
  });
})();
