/* rso-scheduler route maps: draws one page's layers from the data blob it embeds.
 * Part of rso-scheduler (not vendored). Text only ever reaches the page through textContent
 * or esc(): identifiers come from users' files and may contain markup.
 */
(function () {
  "use strict";

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function lines(parts) {
    return parts.filter(Boolean).map(esc).join("<br>");
  }

  function lateText(days) {
    return days > 0 ? "LATE by " + days + " day" + (days === 1 ? "" : "s") : "";
  }

  function stopTip(d, r, s) {
    // s = [lat, lon, n, offender_id, risk, start, end, due, days_late, visit_id]
    return lines([
      "#" + s[2] + "  " + s[3] + "  (" + d.risk[s[4]].label + " risk)",
      s[5] + "\u2013" + s[6] + "  " + d.days[r.d].label,
      "due " + s[7] + (s[8] > 0 ? "  \u2014 " + lateText(s[8]) : ""),
      "crew " + d.crews[r.c] + "  \u00b7 visit " + s[9],
    ]);
  }

  function drawRoute(map, d, r, group) {
    var parts = [r.p].concat(r.x || []);
    var line = L.polyline(parts, {
      color: r.col, weight: 3, opacity: 0.85, className: "rso-route",
    }).addTo(group);
    var tip = lines([
      "crew " + d.crews[r.c] + "  \u00b7 " + d.days[r.d].label,
      r.s.length + " visit" + (r.s.length === 1 ? "" : "s") + ", " + r.t,
    ]);
    line.bindTooltip(tip, { sticky: true });
    if (r.href) {
      var box = el("div", "rso-popup");
      box.appendChild(el("div", "rso-popup-title", "crew " + d.crews[r.c]));
      box.appendChild(el("div", null, d.days[r.d].label + " \u00b7 " + r.s.length + " visits"));
      var a = el("a", null, "Open the crew-day page");
      a.href = r.href;
      box.appendChild(a);
      line.bindPopup(box);
    }
    var drawn = [];
    r.s.forEach(function (s) {
      var late = s[8] > 0;
      var dot = L.circleMarker([s[0], s[1]], {
        radius: d.stopRadius, color: late ? "#000" : "#fff", weight: late ? 4 : 1.5,
        fillColor: d.risk[s[4]].color, fillOpacity: 0.95,
        className: "rso-stop" + (late ? " rso-late" : ""),
      }).bindTooltip(stopTip(d, r, s)).addTo(group);
      var num = L.marker([s[0], s[1]], {
        icon: L.divIcon({
          className: "rso-num rso-num-" + s[4], html: esc(s[2]), iconSize: [18, 18], iconAnchor: [9, 9],
        }),
        interactive: false, keyboard: false,
      }).addTo(group);
      drawn.push({ at: L.latLng(s[0], s[1]), key: s[0] + "," + s[1], dot: dot, num: num, s: s });
    });
    return drawn;
  }

  // Stops at one address (several people, or one person on several visible days) are spread on
  // a small ring in screen space, in a fixed order, so that every number shows; the ring is
  // recomputed on zoom because it is measured in pixels, not metres.
  function spread(map, d, stops) {
    var groups = {};
    stops.forEach(function (st) {
      if (!st.visible()) return;
      (groups[st.key] = groups[st.key] || []).push(st);
    });
    Object.keys(groups).forEach(function (k) {
      var g = groups[k];
      g.forEach(function (st, i) {
        var ll = st.at;
        if (g.length > 1) {
          var ring = d.stopRadius * 2 + 2 + 2 * Math.max(0, g.length - 4);
          var ang = -Math.PI / 2 + (2 * Math.PI * i) / g.length;
          var p = map.latLngToLayerPoint(st.at).add([ring * Math.cos(ang), ring * Math.sin(ang)]);
          ll = map.layerPointToLatLng(p);
        }
        st.dot.setLatLng(ll);
        st.num.setLatLng(ll);
      });
    });
  }

  // Station names first, then area names, then town names (largest first) are placed one after
  // another, and a name that would overlap one already placed is moved a line or two up or
  // down, so that names never print over each other. An area or town name that still
  // overlaps is hidden; a station's name is never hidden (it stays in place: the last resort
  // where several stations share a street, until the map is zoomed in).
  function placeLabels(container) {
    var placed = [];
    function place(span, hideIfNoRoom) {
      span.style.visibility = "";
      span.style.marginTop = "0px";
      var h = span.getBoundingClientRect().height + 2;
      var tries = [0, -1, 1, -2, 2];  // in place, then a line above, below, two above, two below
      for (var t = 0; t < tries.length; t++) {
        span.style.marginTop = (tries[t] * h) + "px";
        var b = span.getBoundingClientRect();
        var hit = placed.some(function (q) {
          return b.left < q.right + 4 && b.right > q.left - 4 && b.top < q.bottom + 2 && b.bottom > q.top - 2;
        });
        if (!hit) { placed.push(b); return; }
      }
      span.style.marginTop = "0px";
      if (hideIfNoRoom) span.style.visibility = "hidden";
      else placed.push(span.getBoundingClientRect());
    }
    container.querySelectorAll(".rso-station-label span").forEach(function (span) {
      place(span, false);
    });
    container.querySelectorAll(".rso-area-label span, .rso-town-label span").forEach(function (span) {
      place(span, true);
    });
  }

  function checklist(title, items, onChange) {
    // items: [{label, on}] ; returns the box; onChange(index, checked)
    var box = el("div", "rso-filter-block");
    var head = el("div", "rso-filter-head");
    head.appendChild(el("span", null, title));
    var all = el("button", null, "all"), none = el("button", null, "none");
    all.type = none.type = "button";
    head.appendChild(all);
    head.appendChild(none);
    box.appendChild(head);
    var list = el("div", "rso-filter-list");
    var inputs = items.map(function (item, i) {
      var lab = el("label");
      var cb = el("input");
      cb.type = "checkbox";
      cb.checked = item.on;
      cb.addEventListener("change", function () { onChange([i], cb.checked); });
      lab.appendChild(cb);
      lab.appendChild(document.createTextNode(" " + item.label));
      list.appendChild(lab);
      return cb;
    });
    function setAll(v) {
      inputs.forEach(function (cb) { cb.checked = v; });
      onChange(inputs.map(function (_, i) { return i; }), v);
    }
    all.addEventListener("click", function () { setAll(true); });
    none.addEventListener("click", function () { setAll(false); });
    box.appendChild(list);
    return box;
  }

  window.rsoDraw = function (map, d) {
    if (map.attributionControl) map.attributionControl.setPrefix(false);
    var overlays = {};

    var areas = L.layerGroup(), names = L.layerGroup();
    d.areas.forEach(function (a) {
      L.polygon(a.ring, {
        color: "#3d4f63", weight: 1.5, dashArray: "5 4", fillColor: "#8fa3b8", fillOpacity: 0.07,
        interactive: false, className: "rso-area",
      }).addTo(areas);
      L.marker(a.at, {
        icon: L.divIcon({ className: "rso-area-label", html: "<span>" + esc(a.name) + "</span>", iconSize: [0, 0] }),
        interactive: false, keyboard: false,
      }).addTo(names);
    });
    if (d.areas.length) {
      areas.addTo(map);
      names.addTo(map);
      overlays["Area outlines"] = areas;
      overlays["Area names"] = names;
    }

    var stations = L.layerGroup();
    d.stations.forEach(function (s) {
      L.marker([s[0], s[1]], {
        icon: L.divIcon({ className: "rso-station", html: "", iconSize: [14, 14], iconAnchor: [7, 7] }),
        keyboard: false,
      }).bindTooltip(lines(["Station" + (s[2] ? " \u00b7 " + s[2] : ""), "officers: " + s[3]]))
        .addTo(stations);
      if (s[2]) {
        // the station's name under its square: something to navigate by when there are no tiles
        L.marker([s[0], s[1]], {
          icon: L.divIcon({ className: "rso-station-label", html: "<span>" + esc(s[2]) + " station</span>", iconSize: [0, 0] }),
          interactive: false, keyboard: false,
        }).addTo(stations);
      }
    });
    stations.addTo(map);
    overlays["Stations"] = stations;

    // town names (GeoNames, bundled): placed after stations and area names, largest first
    if (d.towns && d.towns.length) {
      var towns = L.layerGroup();
      d.towns.forEach(function (t) {
        L.marker([t[0], t[1]], {
          icon: L.divIcon({ className: "rso-town-label", html: "<span>" + esc(t[2]) + "</span>", iconSize: [0, 0] }),
          interactive: false, keyboard: false,
        }).addTo(towns);
      });
      towns.addTo(map);
      overlays["Town names"] = towns;
      if (map.attributionControl) map.attributionControl.addAttribution("Town names: GeoNames (CC BY 4.0)");
    }

    var heat = null;
    if (d.heat && d.heat.length && L.heatLayer) {
      // Wrapped in a group: the layer control greys out layers whose options.maxZoom is below
      // the current zoom, but for Leaflet.heat maxZoom means "full intensity from this zoom".
      heat = L.layerGroup([L.heatLayer(d.heat, { radius: 30, blur: 22, maxZoom: 11, max: d.heatMax, minOpacity: 0.25 })]);
      heat.addTo(map);
      overlays["Heat: owed visits left unscheduled"] = heat;
    }

    var allStops = [];
    var routeLayers = d.routes.map(function (r) {
      var g = L.layerGroup();
      drawRoute(map, d, r, g).forEach(function (st) {
        st.visible = function () { return map.hasLayer(g); };
        allStops.push(st);
      });
      return g;
    });

    var unsched = L.layerGroup();
    d.unsched.forEach(function (u) {
      // u = [lat, lon, offender_id, risk, [[due, reason], ...]]
      var rows = ["NOT SCHEDULED  " + u[2] + "  (" + d.risk[u[3]].label + " risk)"];
      u[4].forEach(function (x) { rows.push("due " + x[0] + (x[1] ? ": " + x[1] : "")); });
      L.marker([u[0], u[1]], {
        icon: L.divIcon({
          className: "rso-unsched", html: '<div class="rso-risk-' + u[3] + '"></div>', iconSize: [15, 15], iconAnchor: [7, 7],
        }),
        keyboard: false,
      }).bindTooltip(lines(rows)).addTo(unsched);
    });
    if (d.unsched.length) {
      unsched.addTo(map);
      overlays["Unscheduled people"] = unsched;
    }

    // The whole-period map opens on one day (d.startDay, the first day with routes unless a
    // day was chosen): a month of routes at once is a tangle. The day list can show more.
    var oneDay = d.filter && d.startDay !== undefined && d.startDay !== null;
    var dayOn = d.days.map(function (_, i) { return !oneDay || i === d.startDay; });
    var crewOn = d.crews.map(function () { return true; });
    var crewRows = [], dayBoxes = [];
    function counts() {
      // legend figures for what is shown: visits by risk, late visits, crew-days, days
      var c = { risk: d.risk.map(function () { return 0; }), late: 0, visits: 0, routes: 0 };
      var days = {};
      d.routes.forEach(function (r) {
        if (!(dayOn[r.d] && crewOn[r.c])) return;
        c.routes += 1;
        days[r.d] = true;
        r.s.forEach(function (s) {
          c.risk[s[4]] += 1;
          c.visits += 1;
          if (s[8] > 0) c.late += 1;
        });
      });
      c.days = Object.keys(days).length;
      return c;
    }
    function refresh() {
      d.routes.forEach(function (r, i) {
        var want = dayOn[r.d] && crewOn[r.c];
        if (want && !map.hasLayer(routeLayers[i])) routeLayers[i].addTo(map);
        if (!want && map.hasLayer(routeLayers[i])) map.removeLayer(routeLayers[i]);
      });
      // the crew list shows the crews out on the days shown, with their visits on those days
      var n = d.crews.map(function () { return 0; });
      d.routes.forEach(function (r) { if (dayOn[r.d]) n[r.c] += r.s.length; });
      crewRows.forEach(function (row, i) {
        row.lab.hidden = n[i] === 0;
        row.count.textContent = " (" + n[i] + ")";
      });
      var c = counts();
      var legend = document.getElementById("rso-legend");
      if (legend) {
        legend.querySelectorAll("[data-count]").forEach(function (e) {
          var k = e.getAttribute("data-count");
          var v = k.indexOf("risk-") === 0 ? c.risk[+k.slice(5)] : c[k];
          if (v !== undefined) e.textContent = String(v);
        });
        var shown = legend.querySelector(".rso-shown");
        if (shown) {
          var on = d.days.filter(function (_, i) { return dayOn[i]; });
          shown.textContent = on.length === 1 ? "Shown: " + on[0].label
            : on.length === d.days.length ? "Shown: every day" : "Shown: " + on.length + " days";
        }
      }
      spread(map, d, allStops);
    }
    function showOnly(i) {
      dayOn = dayOn.map(function (_, j) { return j === i; });
      dayBoxes.forEach(function (cb, j) { cb.checked = dayOn[j]; });
      refresh();
    }

    if (d.layers) {
      L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);
    }
    if (d.filter && d.routes.length) {
      var Filter = L.Control.extend({
        onAdd: function () {
          var box = el("div", "rso-filter leaflet-bar");
          box.appendChild(el("div", "rso-filter-title", "Routes shown"));
          var step = el("div", "rso-step");
          var prev = el("button", null, "\u25c0 previous day"), next = el("button", null, "next day \u25b6");
          prev.type = next.type = "button";
          function current() { var i = dayOn.indexOf(true); return i < 0 ? 0 : i; }
          prev.addEventListener("click", function () { showOnly(Math.max(0, current() - 1)); });
          next.addEventListener("click", function () { showOnly(Math.min(d.days.length - 1, current() + 1)); });
          step.appendChild(prev);
          step.appendChild(next);
          box.appendChild(step);
          var days = checklist("Days", d.days.map(function (x, i) {
            return { label: x.label + " (" + x.n + " crews)", on: dayOn[i] };
          }), function (idx, v) { idx.forEach(function (i) { dayOn[i] = v; }); refresh(); });
          dayBoxes = Array.prototype.slice.call(days.querySelectorAll("input"));
          box.appendChild(days);
          var crews = checklist("Crews on the days shown", d.crews.map(function (c) { return { label: c, on: true }; }),
            function (idx, v) { idx.forEach(function (i) { crewOn[i] = v; }); refresh(); });
          crews.querySelectorAll("label").forEach(function (lab) {
            var count = el("span", "rso-count");
            lab.appendChild(count);
            crewRows.push({ lab: lab, count: count });
          });
          box.appendChild(crews);
          L.DomEvent.disableClickPropagation(box);
          L.DomEvent.disableScrollPropagation(box);
          return box;
        },
      });
      new Filter({ position: "topleft" }).addTo(map);
    }

    var legend = document.getElementById("rso-legend");
    if (legend) {
      var Legend = L.Control.extend({
        onAdd: function () {
          L.DomEvent.disableClickPropagation(legend);
          L.DomEvent.disableScrollPropagation(legend);
          return legend;
        },
      });
      new Legend({ position: "bottomright" }).addTo(map);
      legend.hidden = false;
    }

    var container = map.getContainer();
    function numbers() {
      container.classList.toggle("rso-far", map.getZoom() < d.numZoom);
    }
    map.on("zoomend", function () { numbers(); spread(map, d, allStops); placeLabels(container); });
    map.on("overlayadd overlayremove", function () { placeLabels(container); });

    // The view opens on the bounds with room for a station's name (drawn centred under its
    // square); where that would leave a station, a stop or a person left unscheduled under a
    // panel drawn over the map (the route filter on the left, the layer list and the legend on
    // the right), it fits the bounds between the panels instead: nothing opens hidden under a
    // panel, and the map uses the whole width when nothing would be. A panel not shown
    // (print) takes no room.
    var PANELS = ".rso-filter, .leaflet-control-layers, .rso-legend";
    var MARKS = ".rso-station-label span, .rso-station, .rso-unsched, path.rso-stop";
    function rects(selector) {
      return Array.prototype.map.call(container.querySelectorAll(selector), function (e) {
        return e.getBoundingClientRect();
      }).filter(function (b) { return b.width > 0; });
    }
    function underPanel() {
      var panels = rects(PANELS);
      return rects(MARKS).some(function (m) {
        return panels.some(function (p) {
          return m.left < p.right && p.left < m.right && m.top < p.bottom && p.top < m.bottom;
        });
      });
    }
    function fit() {
      if (!d.bounds) return;
      var box = container.getBoundingClientRect(), left = 0, right = 0, name = 0;
      rects(PANELS).forEach(function (b) {
        if (b.left + b.right < box.left + box.right) left = Math.max(left, b.right - box.left);
        else right = Math.max(right, box.right - b.left);
      });
      rects(".rso-station-label span").forEach(function (b) { name = Math.max(name, b.width / 2); });
      var side = Math.max(30, Math.ceil(name) + 8);
      // not animated: a zoom still running would undo a later setView, and must end before print
      var opts = { paddingTopLeft: [side, 30], paddingBottomRight: [side, 30], maxZoom: 15, animate: false };
      map.fitBounds(d.bounds, opts);
      spread(map, d, allStops);
      placeLabels(container);
      if (!underPanel() || box.width - left - right - 2 * side < 200) return;  // clear, or no room
      opts.paddingTopLeft = [left + side, 30];
      opts.paddingBottomRight = [right + side, 30];
      map.fitBounds(d.bounds, opts);
    }
    numbers();
    refresh();  // first, so that the legend holds its figures when its size is measured
    fit();
    numbers();
    spread(map, d, allStops);
    placeLabels(container);
    if (window.matchMedia) {
      var mq = window.matchMedia("print");
      var onPrint = function () { map.invalidateSize(); fit(); };
      if (mq.addEventListener) mq.addEventListener("change", onPrint);
    }
    window.addEventListener("beforeprint", function () { map.invalidateSize(); fit(); });
    window.rsoMap = map; // for tests and the browser console
  };
})();
