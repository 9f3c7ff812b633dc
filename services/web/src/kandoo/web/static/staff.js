/* The staff console's few behaviours: tick every item of a queue page at once; drag a
   complaint's pin to correct its location (the form beside the map is the real input). */
"use strict";
(function () {
  var all = document.getElementById("select-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="ids"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  var element = document.getElementById("pin-map");
  if (!element || !window.L || !window.KandooGeo) return;
  var made = KandooGeo.baseMap(element);
  var at = [parseFloat(element.dataset.lat), parseFloat(element.dataset.lon)];
  var draggable = element.dataset.draggable === "true";
  var marker = L.marker(at, { draggable: draggable, keyboard: draggable, title: "pin" }).addTo(made.map);
  made.map.setView(at, 16, { animate: false });
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  marker.on("dragend", function () {
    var p = marker.getLatLng();
    if (lat && lon) { lat.value = p.lat.toFixed(6); lon.value = p.lng.toFixed(6); }
  });
})();
