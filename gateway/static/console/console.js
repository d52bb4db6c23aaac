/* Charts of the staff console, drawn with the vendored uPlot (no other script on the page). */
(function () {
  "use strict";
  var GRADE_COLORS = {
    low: "#dbeafe", optimal: "#dcfce7", normal: "#dcfce7", high_normal: "#fef9c3",
    grade_1: "#fde68a", grade_2: "#fecaca", grade_3: "#fca5a5"
  };
  var COLORS = ["#0f4c81", "#2f6f3e", "#b45309", "#b42318", "#7c3aed", "#0e7490"];

  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function monthTs(m) { return Date.UTC(+m.slice(0, 4), +m.slice(5, 7) - 1, 1) / 1000; }
  function dayTs(d) { return Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10)) / 1000; }
  function widthOf(el) { return Math.max(200, Math.floor(el.clientWidth) - 12); }

  var charts = [];
  function keepSized(chart, box, height) {
    charts.push(function () { chart.setSize({ width: widthOf(box), height: height }); });
  }
  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (f) { f(); }); }, 150);
  });

  function trend() {
    var d = data("trend-data"), host = document.getElementById("charts");
    if (!d || !host || typeof uPlot === "undefined") return;
    var xs = d.months.map(monthTs);
    d.series.forEach(function (s, i) {
      var box = document.createElement("div");
      box.className = "chart-box";
      var h = document.createElement("h3");
      h.textContent = s.label;
      box.appendChild(h);
      host.appendChild(box);
      var opts = {
        width: widthOf(box), height: 160, legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: true }, y: { range: function (u, lo, hi) { return [0, Math.max(1, hi * 1.1)]; } } },
        axes: [{ values: "{MM}/{YY}", space: 40, size: 30 }, { size: 44 }],
        series: [{}, { label: s.label, stroke: COLORS[i % COLORS.length], width: 2,
                      points: { size: 5 }, spanGaps: true }]
      };
      var chart = new uPlot(opts, [xs, s.values], box);
      chart.root.setAttribute("role", "img");
      chart.root.setAttribute("aria-label", s.label);
      keepSized(chart, box, 160);
    });
  }

  function bp() {
    var d = data("bp-data"), box = document.getElementById("bp-chart");
    if (!d || !box || typeof uPlot === "undefined" || !d.dates.length) return;
    var xs = d.dates.map(dayTs);
    var lo = Math.min(70, Math.min.apply(null, d.diastolic) - 10);
    var hi = Math.max(190, Math.max.apply(null, d.systolic) + 10);
    function bands(u) {
      var ctx = u.ctx, left = u.bbox.left, width = u.bbox.width;
      d.bands.forEach(function (b) {
        var top = u.valToPos(Math.min(b.to, hi), "y", true);
        var bottom = u.valToPos(Math.max(b.from, lo), "y", true);
        if (bottom <= top) return;
        ctx.fillStyle = GRADE_COLORS[b.grade] || "#fff";
        ctx.fillRect(left, top, width, bottom - top);
      });
    }
    var opts = {
      width: widthOf(box), height: 240,
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: [lo, hi] } },
      axes: [{ space: 50, size: 30 }, { size: 40 }],
      hooks: { drawClear: [bands] },
      series: [{ label: d.labels.date }, { label: d.labels.systolic, stroke: "#b42318", width: 2, points: { size: 6 } },
               { label: d.labels.diastolic, stroke: "#0f4c81", width: 2, points: { size: 6 } }]
    };
    var chart = new uPlot(opts, [xs, d.systolic, d.diastolic], box);
    keepSized(chart, box, 240);
  }

  trend();
  bp();
})();
