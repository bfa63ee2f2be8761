/**
 * @module report/html/client/charts
 * The page's only script of our own (browser code): reads the embedded chart
 * data (`#report-data`, see chart-types.ts) and draws each chart with the
 * bundled uPlot, with stage bands and event lines on every time chart. It
 * marks what it drew in `data-*` attributes, which the browser test reads.
 * Bundled by esbuild into one ES2017 script at build time (bin/build-client.cjs)
 * and inlined into the report, so the page needs nothing but the report file.
 */
import type UPlot from 'uplot';
import type { ChartData, ChartSpec } from './chart-types.js';

/** The global of uPlot's IIFE build, inlined in the page before this script. */
declare const uPlot: typeof UPlot;

const data = JSON.parse(document.getElementById('report-data')?.textContent ?? '') as ChartData;
const BAND = ['rgba(9,105,218,0.07)', 'rgba(130,80,223,0.07)'];

function fmt(v: number | null | undefined): string {
  if (v == null) return '';
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 100 || Number.isInteger(v)) return String(Math.round(v));
  return String(Number(v.toPrecision(3)));
}

/** Stage bands (shaded, labelled at the top) and events (dashed red lines) over the plot area. */
function marksPlugin(spec: ChartSpec, el: Element): UPlot.Plugin {
  return {
    hooks: {
      draw: [
        (u) => {
          const ctx = u.ctx;
          const top = u.bbox.top;
          const height = u.bbox.height;
          const left = u.bbox.left;
          const right = left + u.bbox.width;
          let drawnStages = 0;
          let namedStages = 0;
          let drawnEvents = 0;
          ctx.save();
          ctx.font = `${Math.round(10 * devicePixelRatio)}px sans-serif`;
          ctx.textBaseline = 'top';
          // uPlot leaves the axis text alignment on the context; labels start at their line.
          ctx.textAlign = 'left';
          if (spec.kind === 'time') {
            data.stages.forEach((s, i) => {
              const x0 = Math.max(left, u.valToPos(s.start, 'x', true));
              const x1 = Math.min(right, u.valToPos(s.end, 'x', true));
              if (!(x1 > x0)) return;
              ctx.fillStyle = BAND[i % 2] as string;
              ctx.fillRect(x0, top, x1 - x0, height);
              ctx.strokeStyle = 'rgba(80,80,80,0.5)';
              ctx.setLineDash([]);
              ctx.beginPath();
              ctx.moveTo(x0, top);
              ctx.lineTo(x0, top + height);
              ctx.stroke();
              // A label that does not fit its band would run into the next one: the full name when
              // it fits, else the stage's number (the Stages table names it), else none.
              const room = x1 - x0 - 6 * devicePixelRatio;
              const label = [s.name, String(i + 1)].find((t) => ctx.measureText(t).width <= room);
              if (label !== undefined) {
                ctx.fillStyle = '#57606a';
                ctx.fillText(label, x0 + 3 * devicePixelRatio, top + 2 * devicePixelRatio);
                if (label === s.name) namedStages++;
              }
              drawnStages++;
            });
            data.events.forEach((e) => {
              const x = u.valToPos(e.at, 'x', true);
              if (!(x >= left && x <= right)) return;
              if (e.for_s) {
                const x2 = Math.min(right, u.valToPos(e.at + e.for_s, 'x', true));
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
          let drawnSpans = 0;
          (spec.spans || []).forEach((a) => {
            const x0 = Math.max(left, u.valToPos(a.from, 'x', true));
            const x1 = Math.min(right, u.valToPos(a.to, 'x', true));
            if (!(x1 > x0)) return;
            ctx.fillStyle = 'rgba(212,167,44,0.22)';
            ctx.fillRect(x0, top, x1 - x0, height);
            ctx.fillStyle = '#9a6700';
            ctx.fillText(a.label, x0 + 3 * devicePixelRatio, top + height - 14 * devicePixelRatio);
            drawnSpans++;
          });
          el.setAttribute('data-anomalies-drawn', String(drawnSpans));
          (spec.vlines || []).forEach((v, k) => {
            const x = u.valToPos(v.x, 'x', true);
            if (!(x >= left && x <= right)) return;
            ctx.strokeStyle = '#8250df';
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 3 * devicePixelRatio]);
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillStyle = '#8250df';
            // Markers often share an x (knee = capacity): each label on its own row.
            // A marker near the right edge gets its label on its left, inside the plot.
            const w = ctx.measureText(v.label).width;
            const lx =
              x + 3 * devicePixelRatio + w > right ? x - 3 * devicePixelRatio - w : x + 3 * devicePixelRatio;
            ctx.fillText(v.label, lx, top + (2 + 13 * k) * devicePixelRatio);
          });
          el.setAttribute('data-vlines', (spec.vlines || []).map((v) => v.label).join('|'));
          ctx.restore();
          // The x range drawn, so a test can tell what the chart is plotted against.
          el.setAttribute('data-x-range', `${u.scales.x?.min},${u.scales.x?.max}`);
          el.setAttribute('data-stages-drawn', String(drawnStages));
          el.setAttribute('data-stage-names-drawn', String(namedStages));
          el.setAttribute('data-events-drawn', String(drawnEvents));
        },
      ],
    },
  };
}

/**
 * Tick labels with as many decimals as the tick spacing needs (a fraction's 0.25 steps never
 * read "0"), large values shortened; the labels drawn go to `data-<axis>-ticks` for the test.
 */
function ticks(el: Element, axis: string) {
  return (_u: UPlot, splits: number[], _i: number, _space: number, incr: number): string[] => {
    const decimals = incr > 0 && incr < 1 ? Math.min(6, Math.ceil(-Math.log10(incr) - 1e-9)) : 0;
    const labels = splits.map((v) => {
      if (v == null) return '';
      const a = Math.abs(v);
      if (a >= 1e6) return `${Number((v / 1e6).toFixed(2))}M`;
      if (a >= 1e4) return `${Number((v / 1e3).toFixed(1))}k`;
      return decimals > 0 ? String(Number(v.toFixed(decimals))) : v.toLocaleString('en-US');
    });
    el.setAttribute(`data-${axis}-ticks`, labels.join('|'));
    return labels;
  };
}

/**
 * The chart's columns for uPlot. A time chart gets an empty point (no values) at either end of
 * the stages and events where they reach past its windows, so its x range takes them in and
 * every band and line is drawn, whatever the run's tail past its last window's start.
 */
function columns(spec: ChartSpec): UPlot.AlignedData {
  const x = spec.x.slice();
  const values = spec.series.map((s) => s.values.slice());
  const span = spec.kind === 'time' ? data.marksSpan : undefined;
  const first = x[0];
  const last = x[x.length - 1];
  if (span !== undefined && first !== undefined && last !== undefined) {
    if (span[0] < first) {
      x.unshift(span[0]);
      for (const v of values) v.unshift(null);
    }
    if (span[1] > last) {
      x.push(span[1]);
      for (const v of values) v.push(null);
    }
  }
  return [x, ...values] as UPlot.AlignedData;
}

function draw(spec: ChartSpec): void {
  const el = document.querySelector<HTMLElement>(`[data-chart="${spec.id}"]`);
  if (!el) return;
  const width = Math.max(320, el.clientWidth || 700);
  const series: UPlot.Series[] = [
    { label: spec.xLabel, value: (_u: UPlot, v: number | null) => fmt(v) },
    ...spec.series.map(
      (s): UPlot.Series => ({
        label: s.label,
        stroke: s.color,
        width: s.width || 1.5,
        dash: Array.isArray(s.dash) ? s.dash : s.dash ? [6, 3] : undefined,
        scale: s.scale || 'y',
        spanGaps: false,
        points: { show: spec.kind !== 'cdf' && spec.x.length <= 40, size: 4 },
        value: (_u: UPlot, v: number | null) => fmt(v),
      }),
    ),
  ];
  const axes: UPlot.Axis[] = [
    { label: spec.xLabel, values: ticks(el, 'x') },
    { label: spec.yLabel, size: 60, values: ticks(el, 'y') },
  ];
  const scales: UPlot.Scales = {
    x: { time: false },
    y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.08 : 1] },
  };
  if (spec.series.some((s) => s.scale === 'y2')) {
    axes.push({
      label: spec.y2Label || '',
      scale: 'y2',
      side: 1,
      grid: { show: false },
      size: 60,
      values: ticks(el, 'y2'),
    });
    scales.y2 = { range: (_u, _min, max) => [0, max > 0 ? max * 1.08 : 1] };
  }
  if (spec.kind === 'cdf') scales.y = { range: [0, 100] };
  const opts: UPlot.Options = {
    width,
    height: 240,
    series,
    axes,
    scales,
    legend: { show: true, live: false },
    cursor: { drag: { x: true, y: false } },
    plugins: [marksPlugin(spec, el)],
  };
  new uPlot(opts, columns(spec), el);
  el.setAttribute('data-drawn', 'true');
  // What tells the series apart, for the test: each one's colour and dash.
  el.setAttribute('data-series', JSON.stringify(spec.series.map((s) => [s.label, s.color, s.dash ? 1 : 0])));
}

data.charts.forEach(draw);
document.body.setAttribute('data-charts-ready', String(data.charts.length));
