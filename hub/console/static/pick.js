/* Liandong console: pick an incident's position on the county map (manual entry).
 * A click on the offline SVG map is turned back into latitude and longitude with the
 * projection the page hands over in data- attributes (hub/console/maps.py), written into
 * the two fields (which stay editable), and marked. Typing in the fields moves the mark.
 * No inline script: the console's CSP allows only files like this one. */
(function () {
  "use strict";
  var svg = document.getElementById("pick-map");
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var mark = document.getElementById("picked");
  if (!svg || !lat || !lon || !mark) { return; }
  function num(name) { return parseFloat(svg.getAttribute("data-" + name)); }
  var p = { latMax: num("lat-max"), lonMin: num("lon-min"), k: num("k"), scale: num("scale"),
            offX: num("off-x"), offY: num("off-y") };

  function place(x, y) {
    mark.setAttribute("transform", "translate(" + x + "," + y + ")");
    mark.removeAttribute("hidden");
  }

  function fromFields() {
    var a = parseFloat(lat.value), b = parseFloat(lon.value);
    if (isNaN(a) || isNaN(b)) { mark.setAttribute("hidden", ""); return; }
    place(p.offX + (b - p.lonMin) * p.k * p.scale, p.offY + (p.latMax - a) * p.scale);
  }

  svg.addEventListener("click", function (event) {
    var pt = svg.createSVGPoint();
    pt.x = event.clientX; pt.y = event.clientY;
    var at = pt.matrixTransform(svg.getScreenCTM().inverse());
    lat.value = (p.latMax - (at.y - p.offY) / p.scale).toFixed(5);
    lon.value = (p.lonMin + (at.x - p.offX) / (p.k * p.scale)).toFixed(5);
    place(at.x, at.y);
  });
  lat.addEventListener("input", fromFields);
  lon.addEventListener("input", fromFields);
  fromFields();
}());
