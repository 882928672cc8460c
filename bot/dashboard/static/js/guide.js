/* The sight's pin on a Leaflet map (vendored): drag it or click the map to move it; the coordinate fields follow,
   and typing coordinates moves the pin. Without tiles (no internet) the pin and the clicks still work. */
(function () {
  "use strict";
  var box = document.getElementById("sight-map");
  var latInput = document.getElementById("lat"), lonInput = document.getElementById("lon");
  if (!box || !window.L || !latInput || !lonInput) { return; }
  function read() {
    var lat = parseFloat(latInput.value.replace(",", ".")), lon = parseFloat(lonInput.value.replace(",", "."));
    return isNaN(lat) || isNaN(lon) ? null : [lat, lon];
  }
  var start = read() || [35.5138, 24.0180];
  var map = window.L.map(box, {scrollWheelZoom: false}).setView(start, 15);
  if (box.dataset.tiles) {
    window.L.tileLayer(box.dataset.tiles, {
      maxZoom: 19, attribution: box.dataset.attribution || "", referrerPolicy: "strict-origin"
    }).addTo(map);
  }
  var marker = window.L.marker(start, {draggable: true, title: box.dataset.label, alt: box.dataset.label}).addTo(map);
  function write(latlng) {
    latInput.value = latlng.lat.toFixed(6);
    lonInput.value = latlng.lng.toFixed(6);
  }
  marker.on("dragend", function () { write(marker.getLatLng()); });
  map.on("click", function (e) { marker.setLatLng(e.latlng); write(e.latlng); });
  function follow() { var p = read(); if (p) { marker.setLatLng(p); map.panTo(p); } }
  latInput.addEventListener("change", follow);
  lonInput.addEventListener("change", follow);
})();
