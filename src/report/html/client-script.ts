/**
 * @module report/html/client-script
 * The page's only script of our own: reads the embedded chart data and draws
 * each chart with the bundled uPlot, with stage bands and event lines on
 * every time chart. Plain ES2017, no imports; kept as a string so the report
 * needs nothing but this package at render time.
 */
export const CLIENT_SCRIPT = `(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var BAND = ['rgba(9,105,218,0.07)', 'rgba(130,80,223,0.07)'];

  function fmt(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
    if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
    return String(Number(v.toPrecision(3)));
  }

  // Stage bands (shaded, labelled at the top) and events (dashed red lines) over the plot area.
  function marksPlugin(spec, el) {
    return {
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            var top = u.bbox.top;
            var height = u.bbox.height;
            var left = u.bbox.left;
            var right = left + u.bbox.width;
            var drawnStages = 0;
            var drawnEvents = 0;
            ctx.save();
            ctx.font = Math.round(10 * devicePixelRatio) + 'px sans-serif';
            ctx.textBaseline = 'top';
            // uPlot leaves the axis text alignment on the context; labels start at their line.
            ctx.textAlign = 'left';
            if (spec.kind === 'time') {
              data.stages.forEach(function (s, i) {
                var x0 = Math.max(left, u.valToPos(s.start, 'x', true));
                var x1 = Math.min(right, u.valToPos(s.end, 'x', true));
                if (!(x1 > x0)) return;
                ctx.fillStyle = BAND[i % 2];
                ctx.fillRect(x0, top, x1 - x0, height);
                ctx.strokeStyle = 'rgba(80,80,80,0.5)';
                ctx.setLineDash([]);
                ctx.beginPath();
                ctx.moveTo(x0, top);
                ctx.lineTo(x0, top + height);
                ctx.stroke();
                ctx.fillStyle = '#57606a';
                ctx.fillText(s.name, x0 + 3 * devicePixelRatio, top + 2 * devicePixelRatio);
                drawnStages++;
              });
              data.events.forEach(function (e) {
                var x = u.valToPos(e.at, 'x', true);
                if (!(x >= left && x <= right)) return;
                if (e.for_s) {
                  var x2 = Math.min(right, u.valToPos(e.at + e.for_s, 'x', true));
                  ctx.fillStyle = 'rgba(207,34,46,0.08)';
                  ctx.fillRect(x, top, x2 - x, height);
                }
                ctx.strokeStyle = '#cf222e';
                ctx.lineWidth = 1.5 * devicePixelRatio;
                ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
                ctx.beginPath();
                ctx.moveTo(x, top);
                ctx.lineTo(x, top + height);
                ctx.stroke();
                ctx.fillStyle = '#cf222e';
                ctx.fillText(e.label, x + 3 * devicePixelRatio, top + 14 * devicePixelRatio);
                drawnEvents++;
              });
            }
            // Anomalous windows of this chart's series: an amber band, labelled at the bottom.
            var drawnSpans = 0;
            (spec.spans || []).forEach(function (a) {
              var x0 = Math.max(left, u.valToPos(a.from, 'x', true));
              var x1 = Math.min(right, u.valToPos(a.to, 'x', true));
              if (!(x1 > x0)) return;
              ctx.fillStyle = 'rgba(212,167,44,0.22)';
              ctx.fillRect(x0, top, x1 - x0, height);
              ctx.fillStyle = '#9a6700';
              ctx.fillText(a.label, x0 + 3 * devicePixelRatio, top + height - 14 * devicePixelRatio);
              drawnSpans++;
            });
            el.setAttribute('data-anomalies-drawn', String(drawnSpans));
            (spec.vlines || []).forEach(function (v) {
              var x = u.valToPos(v.x, 'x', true);
              if (!(x >= left && x <= right)) return;
              ctx.strokeStyle = '#8250df';
              ctx.lineWidth = 2 * devicePixelRatio;
              ctx.setLineDash([6 * devicePixelRatio, 3 * devicePixelRatio]);
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + height);
              ctx.stroke();
              ctx.fillStyle = '#8250df';
              ctx.fillText(v.label, x + 3 * devicePixelRatio, top + 2 * devicePixelRatio);
            });
            ctx.restore();
            // The x range drawn, so a test can tell what the chart is plotted against.
            el.setAttribute('data-x-range', u.scales.x.min + ',' + u.scales.x.max);
            el.setAttribute('data-stages-drawn', String(drawnStages));
            el.setAttribute('data-events-drawn', String(drawnEvents));
          },
        ],
      },
    };
  }

  function draw(spec) {
    var el = document.querySelector('[data-chart="' + spec.id + '"]');
    if (!el) return;
    var width = Math.max(320, el.clientWidth || 700);
    var series = [{ label: spec.xLabel, value: function (u, v) { return fmt(v); } }].concat(
      spec.series.map(function (s) {
        return {
          label: s.label,
          stroke: s.color,
          width: s.width || 1.5,
          dash: s.dash ? [6, 3] : undefined,
          scale: s.scale || 'y',
          spanGaps: false,
          points: { show: spec.kind !== 'cdf' && spec.x.length <= 40, size: 4 },
          value: function (u, v) { return fmt(v); },
        };
      }),
    );
    // uPlot's own tick labels pick enough decimals for the tick spacing.
    var axes = [{ label: spec.xLabel }, { label: spec.yLabel, size: 60 }];
    var scales = { x: { time: false }, y: { range: function (u, min, max) { return [Math.min(0, min), max > 0 ? max * 1.08 : 1]; } } };
    if (spec.series.some(function (s) { return s.scale === 'y2'; })) {
      axes.push({ label: spec.y2Label || '', scale: 'y2', side: 1, grid: { show: false }, size: 60 });
      scales.y2 = { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } };
    }
    if (spec.kind === 'cdf') scales.y = { range: [0, 100] };
    var opts = {
      width: width,
      height: 240,
      series: series,
      axes: axes,
      scales: scales,
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false } },
      plugins: [marksPlugin(spec, el)],
    };
    var columns = [spec.x].concat(spec.series.map(function (s) { return s.values; }));
    new uPlot(opts, columns, el);
    el.setAttribute('data-drawn', 'true');
  }

  data.charts.forEach(draw);
  document.body.setAttribute('data-charts-ready', String(data.charts.length));
})();`;
