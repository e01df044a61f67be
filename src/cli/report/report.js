// The charts' script, plain JavaScript inlined after uPlot's into the --html report and the live
// page of --serve: zswapChartsDraw(charts) draws one uPlot chart per entry (into the figure
// whose data-chart is its id), or gives a drawn chart its new data. The report draws its
// zswap-charts JSON at once; the live page draws what its event stream brings.
(() => {
  var KIB = ["B", "KiB", "MiB", "GiB", "TiB"];
  function bytes(v) {
    if (v == null) return "-";
    var i = 0;
    while (Math.abs(v) >= 1024 && i < KIB.length - 1) {
      v /= 1024;
      i++;
    }
    return `${i > 0 && Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)} ${KIB[i]}`;
  }
  function count(v) {
    if (v == null) return "-";
    var a = Math.abs(v);
    if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
    if (a >= 1e3) return `${+(v / 1e3).toFixed(1)}k`;
    return String(+v.toFixed(2));
  }
  // Microseconds, and from 1000 µs on milliseconds, so that a tick's label stays short.
  function us(v) {
    if (v == null) return "-";
    if (v >= 1000) return `${+(v / 1000).toPrecision(3)} ms`;
    return `${v < 10 ? +v.toFixed(1) : Math.round(v)} µs`;
  }
  // A percentile chart's x is 1 / (1 - p): 1, 10, 100 read 0%, 90%, 99%.
  function percentile(v) {
    if (v == null) return "-";
    return `${+(100 - 100 / v).toPrecision(6)}%`;
  }
  var FORMAT = {
    bytes: bytes,
    ratio: (v) => (v == null ? "-" : `${(100 * v).toFixed(0)}%`),
    count: count,
    us: us,
    percentile: percentile,
  };
  // A log axis passes null for the ticks it leaves unlabelled.
  function tick(v, fmt) {
    return v == null ? "" : fmt(v);
  }
  var drawn = {};
  var plots = {};
  function onDraw(id) {
    if (drawn[id]) return;
    drawn[id] = true;
    document.body.dataset.chartsDrawn = String(Object.keys(drawn).length);
  }
  function width(el) {
    return Math.max(300, el.clientWidth);
  }
  function options(c, el) {
    var fmt = FORMAT[c.unit];
    var y = c.unit === "ratio" ? { range: [0, 1] } : c.log ? { distr: 3 } : {};
    var xFmt = FORMAT[c.xUnit];
    var xName = c.xUnit === "percentile" ? "percentile" : "accesses";
    var x = c.xUnit === "percentile" ? { time: false, distr: 3 } : { time: false };
    return {
      width: width(el),
      height: 280,
      scales: { x: x, y: y },
      series: [{ label: xName, value: (_u, v) => xFmt(v) }].concat(
        c.lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 2,
          points: { show: false },
          value: (_u, v) => fmt(v),
        })),
      ),
      axes: [
        { label: xName, values: (_u, ts) => ts.map((v) => tick(v, xFmt)) },
        { size: 72, values: (_u, ts) => ts.map((v) => tick(v, fmt)) },
      ],
      hooks: {
        draw: [
          () => {
            onDraw(c.id);
          },
        ],
      },
    };
  }
  // A chart keeps its uPlot while its lines stay the same configurations; else it is made anew.
  function draw(charts) {
    charts.forEach((c) => {
      var el = document.querySelector(`[data-chart="${c.id}"] .plot`);
      var key = c.lines.map((l) => l.name).join(",");
      var data = [c.x].concat(c.lines.map((l) => l.y));
      var p = plots[c.id];
      if (p !== undefined && p.key === key) {
        p.plot.setData(data);
        return;
      }
      if (p !== undefined) p.plot.destroy();
      plots[c.id] = { el: el, key: key, plot: new uPlot(options(c, el), data, el) };
    });
  }
  window.zswapChartsDraw = draw;
  var embedded = document.getElementById("zswap-charts");
  if (embedded !== null) draw(JSON.parse(embedded.textContent));
  window.addEventListener("resize", () => {
    Object.values(plots).forEach((p) => {
      p.plot.setSize({ width: width(p.el), height: 280 });
    });
  });
})();
