/* Assisted intake: a click on the map places (or moves) the pin and fills the latitude/longitude fields; typed
   coordinates move the pin. Without tiles (no internet) the map is blank but the pin works. */
(function () {
  "use strict";
  var box = document.getElementById("intake-map");
  var lat = document.getElementById("intake-lat");
  var lon = document.getElementById("intake-lon");
  if (!box || !window.L || !lat || !lon) { return; }
  var map = window.L.map(box, {scrollWheelZoom: false}).setView(
    [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)], 15);
  if (box.dataset.tiles) {
    window.L.tileLayer(box.dataset.tiles, {
      maxZoom: 19, attribution: box.dataset.attribution || "", referrerPolicy: "strict-origin"
    }).addTo(map);
  }
  /* neighbourhoods and municipal units with their names: where one is on a map without tiles */
  var areas = document.getElementById("intake-areas");
  if (areas) {
    var lang = box.dataset.lang === "en" ? "en" : "el";
    try {
      window.L.geoJSON(JSON.parse(areas.textContent), {
        interactive: false,
        style: function (f) {
          return f.properties.kind === "unit" ? {color: "#1f5fa8", weight: 2, fill: false}
                                              : {color: "#1e6b35", weight: 1, fillOpacity: 0.06};
        },
        onEachFeature: function (f, layer) {
          if (f.properties.kind !== "unit") {
            layer.bindTooltip(f.properties["name_" + lang], {permanent: true, direction: "center",
                                                             className: "area-label"});
          }
        }
      }).addTo(map);
    } catch (err) { /* the map still takes a pin */ }
  }
  var marker = null;
  function place(latlng, pan) {
    if (!marker) {
      marker = window.L.marker(latlng, {draggable: true, title: box.dataset.label, alt: box.dataset.label}).addTo(map);
      marker.on("dragend", function () { fill(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    if (pan) { map.panTo(latlng); }
    box.dataset.pinned = "1";
  }
  function fill(latlng) {
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
  }
  map.on("click", function (e) { place(e.latlng, false); fill(e.latlng); });
  function typed() {
    var a = parseFloat(lat.value.replace(",", ".")), b = parseFloat(lon.value.replace(",", "."));
    if (!isNaN(a) && !isNaN(b)) { place([a, b], true); }
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);
  typed();
  var clear = document.getElementById("intake-clear-pin");
  if (clear) {
    clear.addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = ""; lon.value = "";
      box.dataset.pinned = "";
    });
  }
})();
