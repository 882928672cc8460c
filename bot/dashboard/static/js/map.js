/* The ticket's pin on a Leaflet map (vendored). Without tiles (no internet) the pin still shows. */
(function () {
  "use strict";
  var box = document.getElementById("ticket-map");
  if (!box || !window.L) { return; }
  var lat = parseFloat(box.dataset.lat), lon = parseFloat(box.dataset.lon);
  if (isNaN(lat) || isNaN(lon)) { return; }
  var map = window.L.map(box, {scrollWheelZoom: false}).setView([lat, lon], 17);
  if (box.dataset.tiles) {
    window.L.tileLayer(box.dataset.tiles, {
      maxZoom: 19, attribution: box.dataset.attribution || "", referrerPolicy: "strict-origin"
    }).addTo(map);
  }
  window.L.marker([lat, lon], {title: box.dataset.label, alt: box.dataset.label}).addTo(map);
})();
