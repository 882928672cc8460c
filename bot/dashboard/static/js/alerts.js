/* Area notices: the areas map of the notice form (click an area to tick or untick it; works without tiles) and
   the live delivery report of a notice (polled JSON). No inline script: CSP script-src 'self'. */
(function () {
  "use strict";
  var box = document.getElementById("areas-map");
  var data = document.getElementById("areas-data");
  if (box && data && window.L) {
    var areas = JSON.parse(data.textContent);
    var map = window.L.map(box, {scrollWheelZoom: false});
    var boxes = {};
    document.querySelectorAll('input[name="areas"]').forEach(function (input) { boxes[input.value] = input; });
    var style = function (id) {
      var on = boxes[id] && boxes[id].checked;
      return {color: on ? "#b3261e" : "#1f5fa8", weight: 2, fillOpacity: on ? 0.35 : 0.08};
    };
    var layer = window.L.geoJSON(areas, {
      style: function (f) { return style(f.properties.id); },
      onEachFeature: function (f, l) {
        l.bindTooltip(document.documentElement.lang === "en" ? f.properties.name_en : f.properties.name_el);
        l.on("click", function () {
          var input = boxes[f.properties.id];
          if (input) { input.checked = !input.checked; l.setStyle(style(f.properties.id)); }
        });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds());
    Object.keys(boxes).forEach(function (id) {
      boxes[id].addEventListener("change", function () {
        layer.eachLayer(function (l) { if (l.feature.properties.id === id) { l.setStyle(style(id)); } });
      });
    });
  }
  var report = document.getElementById("report");
  if (report && report.dataset.url) {
    var poll = function () {
      fetch(report.dataset.url, {credentials: "same-origin"}).then(function (r) { return r.json(); })
        .then(function (counts) {
          ["queued", "sent", "failed", "blocked"].forEach(function (key) {
            var cell = document.getElementById("report-" + key);
            if (cell && counts[key] !== undefined) { cell.textContent = String(counts[key]); }
          });
          if (counts.queued > 0 || counts.status === "queuing" || counts.status === "scheduled") {
            window.setTimeout(poll, 2000);
          }
        }).catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }
})();
