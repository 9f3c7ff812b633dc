/* The public map: hotspot cells over the municipality; zoomed in (a view of about a
   kilometre), each open report as a point linking to its track page. */
"use strict";
(function () {
  var el = document.getElementById("public-map");
  var base = KandooGeo.baseMap(el), map = base.map;
  var layer = L.layerGroup().addTo(map);
  var category = document.getElementById("map-category"), status = document.getElementById("map-status");
  var line = document.getElementById("map-status-line");
  var POINTS_FROM_ZOOM = 16;

  function bbox() {
    var b = map.getBounds();
    return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (x) { return x.toFixed(5); }).join(",");
  }
  function query(extra) {
    var q = "bbox=" + bbox();
    if (category.value) q += "&category=" + encodeURIComponent(category.value);
    return q + (extra || "");
  }
  function link(code, text) {
    var a = document.createElement("a");
    a.href = "/t/" + encodeURIComponent(code);
    a.textContent = code;
    var box = document.createElement("div");
    box.appendChild(a);
    var p = document.createElement("p");
    p.textContent = text;
    box.appendChild(p);
    return box;
  }
  function draw() {
    var points = map.getZoom() >= POINTS_FROM_ZOOM && status.value === "open";
    var url = points ? "/map/points.json?" + query() : "/map/hotspots.json?" + query("&status=" + status.value);
    fetch(url, { headers: { Accept: "application/json" } }).then(function (r) { return r.json(); }).then(function (data) {
      layer.clearLayers();
      (data.features || []).forEach(function (f) {
        if (points) {
          var c = f.geometry.coordinates, p = f.properties;
          L.circleMarker([c[1], c[0]], { radius: 8, color: "#073763", fillColor: "#0b5394", fillOpacity: 0.8 })
            .bindPopup(link(p.tracking_code, p.summary)).addTo(layer);
        } else {
          var ring = f.geometry.coordinates[0], n = f.properties.count;
          L.rectangle([[ring[0][1], ring[0][0]], [ring[2][1], ring[2][0]]], {
            color: "#a4000f", weight: 1, fillOpacity: Math.min(0.8, 0.2 + n / 20)
          }).bindPopup(el.dataset.cell.replace("{n}", n) + " · " + el.dataset.zoomIn).addTo(layer);
        }
      });
      line.textContent = points ? "" : el.dataset.zoomIn;
    }).catch(function () { line.textContent = ""; });
  }
  map.on("moveend", draw);
  category.addEventListener("change", draw);
  status.addEventListener("change", draw);
  draw();
})();
