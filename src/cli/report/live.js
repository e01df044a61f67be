// The live page's script (zswap run --serve), inlined after report.js: it follows the run's
// event stream at /events, each message a whole snapshot ({ progress, charts }), and redraws.
// The body's data-points counts the points drawn and data-updates the snapshots shown.
(() => {
  var status = document.getElementById("status");
  var updates = 0;
  var source = new EventSource("/events");
  function show(snapshot) {
    window.zswapChartsDraw(snapshot.charts);
    status.textContent = snapshot.progress;
    var points = 0;
    snapshot.charts.forEach((c) => {
      c.lines.forEach((l) => {
        l.y.forEach((v) => {
          if (v != null) points++;
        });
      });
    });
    updates++;
    document.body.dataset.points = String(points);
    document.body.dataset.updates = String(updates);
  }
  source.onmessage = (e) => {
    show(JSON.parse(e.data));
  };
  source.addEventListener("end", (e) => {
    show(JSON.parse(e.data));
    source.close();
    document.body.dataset.ended = "true";
  });
  // The server went away without an end (the run was stopped): stop, say so, do not retry.
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || document.body.dataset.ended) return;
    source.close();
    status.textContent += " (the run stopped; the charts stay as they were)";
  };
})();
