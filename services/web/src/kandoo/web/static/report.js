/* The report page: the pin (click, drag, "use my location" or typed coordinates), the
   out-of-area check in the page's language, open reports nearby, photos made smaller
   (at most 1600 px) before upload. Without JavaScript the same form still works. */
"use strict";
(function () {
  var form = document.getElementById("report");
  var mapEl = document.getElementById("pick-map");
  var lat = document.getElementById("lat"), lon = document.getElementById("lon");
  var error = document.getElementById("location-error");
  var base = KandooGeo.baseMap(mapEl), map = base.map, pin = null;
  var MAX_SIDE = 1600, MAX_PHOTOS = 5;

  function showError(text) {
    error.textContent = text || "";
    error.hidden = !text;
    lat.setAttribute("aria-invalid", text ? "true" : "false");
    lon.setAttribute("aria-invalid", text ? "true" : "false");
  }
  function place(latlng, fromInputs) {
    if (!pin) {
      pin = L.marker(latlng, { draggable: true, keyboard: true, title: mapEl.getAttribute("aria-label") }).addTo(map);
      pin.on("dragend", function () { place(pin.getLatLng(), false); });
    } else {
      pin.setLatLng(latlng);
    }
    if (!fromInputs) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
    var ok = KandooGeo.inside(base.outline, latlng.lat, latlng.lng);
    showError(ok ? "" : form.dataset.outside);
    if (ok) {
      htmx.ajax("GET", "/nearby?lat=" + latlng.lat.toFixed(6) + "&lon=" + latlng.lng.toFixed(6), { target: "#nearby", swap: "innerHTML" });
    } else {
      document.getElementById("nearby").innerHTML = "";
    }
  }
  map.on("click", function (e) { place(e.latlng, false); });
  function typed() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (!isNaN(a) && !isNaN(b)) { place(L.latLng(a, b), true); map.panTo([a, b]); }
  }
  lat.addEventListener("change", typed);
  lon.addEventListener("change", typed);
  if (lat.value && lon.value) typed();

  var status = document.getElementById("locate-status");
  document.getElementById("locate").addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = form.dataset.locationFailed; return; }
    status.textContent = form.dataset.locating;
    navigator.geolocation.getCurrentPosition(function (p) {
      status.textContent = "";
      var here = L.latLng(p.coords.latitude, p.coords.longitude);
      map.setView(here, 17);
      place(here, false);
    }, function () { status.textContent = form.dataset.locationFailed; }, { enableHighAccuracy: true, timeout: 15000 });
  });

  var photos = document.getElementById("photos"), previews = document.getElementById("previews");
  function shrink(file) {
    if (!window.createImageBitmap || !/^image\//.test(file.type)) return Promise.resolve(file);
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
      if (scale === 1 && file.size < 600 * 1024) return file;
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(img.width * scale);
      canvas.height = Math.round(img.height * scale);
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = file.name.replace(/\.[^.]+$/, "") + ".jpg";
          resolve(blob ? new File([blob], name, { type: "image/jpeg" }) : file);
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }
  var shrinking = Promise.resolve();
  photos.addEventListener("change", function () {
    var chosen = Array.prototype.slice.call(photos.files, 0, MAX_PHOTOS);
    shrinking = Promise.all(chosen.map(shrink)).then(function (small) {
      if (!window.DataTransfer) return;
      var list = new DataTransfer();
      previews.innerHTML = "";
      small.forEach(function (f) {
        list.items.add(f);
        var img = document.createElement("img");
        img.alt = f.name;
        img.src = URL.createObjectURL(f);
        previews.appendChild(img);
      });
      photos.files = list.files;
    });
  });

  form.addEventListener("submit", function (e) {
    var send = document.getElementById("send");
    if (pin && !KandooGeo.inside(base.outline, pin.getLatLng().lat, pin.getLatLng().lng)) {
      e.preventDefault();
      showError(form.dataset.outside);
      lat.focus();
      return;
    }
    if (send.disabled) { e.preventDefault(); return; }
    e.preventDefault();
    send.disabled = true;
    send.textContent = form.dataset.sending;
    shrinking.then(function () { form.submit(); });
  });
})();
