/* Shared by the report page and the public map: a Leaflet map of the municipality
   (its outline; tiles only when the operator configured a server) and a point-in-polygon
   test that matches intake's. */
"use strict";
window.KandooGeo = (function () {
  function inside(outline, lat, lon) {
    var hit = false;
    for (var i = 0, j = outline.length - 1; i < outline.length; j = i++) {
      var a = outline[i], b = outline[j];
      if ((a[0] > lat) !== (b[0] > lat)) {
        var crossing = (b[1] - a[1]) * (lat - a[0]) / (b[0] - a[0]) + a[1];
        if (lon < crossing) hit = !hit;
      }
    }
    return hit;
  }
  function baseMap(element) {
    var outline = JSON.parse(element.dataset.outline);
    var b = JSON.parse(element.dataset.bounds);
    var map = L.map(element, { zoomSnap: 0.5, keyboard: true });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 19, attribution: element.dataset.attribution }).addTo(map);
    }
    L.polygon(outline, { color: "#073763", weight: 2, fillOpacity: 0.04, interactive: false }).addTo(map);
    map.fitBounds([[b[0], b[1]], [b[2], b[3]]]);
    L.Icon.Default.imagePath = "/static/vendor/leaflet/images/";
    maps[element.id] = map;
    return { map: map, outline: outline };
  }
  var maps = {};
  return { inside: inside, baseMap: baseMap, maps: maps };
})();
