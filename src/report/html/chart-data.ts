/**
 * @module report/html/chart-data
 * What the page's charts draw, as plain data: built from the summary (and
 * its optional sections) at render time, embedded as JSON, drawn by uPlot in
 * the browser. Time series are downsampled to a bounded number of points.
 * The time charts are built in time-charts.ts, the charts against load in
 * load-charts.ts; here the distributions, the target's telemetry and the
 * assembly of them all.
 */
import type { Summary } from '../summary.js';
import { paletteColor } from './chart-colors.js';
import type { ChartData, ChartSeriesSpec, ChartSpec } from './client/chart-types.js';
import { downsampleWindows } from './downsample.js';
import { agentsChart, sweepChart } from './load-charts.js';
import type { ReportSections } from './sections.js';
import { markAnomalies, timeCharts } from './time-charts.js';

export type { ChartData, ChartSeriesSpec, ChartSpec };

/** Most points of a time chart; a one-hour run of 1 s windows is merged 6:1. */
export const MAX_TIME_POINTS = 600;

const DIST_LABELS: Record<string, string> = {
  ttft_ms: 'TTFT',
  itl_ms: 'ITL',
  tpot_ms: 'TPOT',
  e2e_ms: 'E2E',
};

function distributionCharts(summary: Summary): ChartSpec[] {
  return Object.entries(summary.distributions).flatMap(([metric, d]) => {
    if (d === undefined || d.count === 0) return [];
    return [
      {
        id: `cdf-${metric}`,
        title: `${DIST_LABELS[metric] ?? metric} distribution (CDF, ${d.count} values)`,
        kind: 'cdf' as const,
        group: 'distribution' as const,
        xLabel: 'ms',
        yLabel: 'percentile',
        x: d.v,
        series: [{ label: 'percentile', color: paletteColor(0), values: d.p }],
      },
    ];
  });
}

function telemetryCharts(sections: ReportSections, maxPoints: number): ChartSpec[] {
  return sections.telemetry.map((t, i) => {
    // Telemetry is sampled values, not percentiles: every k-th point is an honest thinning.
    const step = Math.max(1, Math.ceil(t.points.length / maxPoints));
    const pts = t.points.filter((_, k) => k % step === 0).sort((a, b) => a[0] - b[0]);
    return {
      id: `telemetry-${i}`,
      title: `Target: ${t.name}`,
      kind: 'time' as const,
      group: 'telemetry' as const,
      xLabel: 'time (s)',
      yLabel: t.unit ?? '',
      x: pts.map((p) => p[0]),
      series: [{ label: t.name, color: paletteColor(i), values: pts.map((p) => p[1]) }],
    };
  });
}

/**
 * From the first to the last stage or event, clipped to the run (from its first window, or 0,
 * to its measured end). Why: a time chart plots each window at its start, so its x axis ends at
 * the last window's start, and a stage or event after it (a short last stage, the run's tail
 * past the load) would fall off every chart; the page widens its time charts to this span.
 */
export function marksSpan(summary: Summary, sections: ReportSections): [number, number] | undefined {
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  const take = (t: number) => {
    from = Math.min(from, t);
    to = Math.max(to, t);
  };
  for (const s of sections.stages) {
    take(s.start);
    take(s.end);
  }
  for (const e of sections.events) {
    take(e.at);
    if (e.for_s) take(e.at + e.for_s);
  }
  if (!(from <= to)) return undefined;
  let runFrom = 0;
  let runTo = Number.isFinite(summary.durationS) ? summary.durationS : 0;
  for (const w of summary.windows) {
    runFrom = Math.min(runFrom, w.start_s);
    runTo = Math.max(runTo, w.start_s);
  }
  const lo = Math.max(from, runFrom);
  const hi = Math.min(to, runTo);
  return lo <= hi ? [lo, hi] : undefined;
}

/** All charts of the report. */
export function buildChartData(
  summary: Summary,
  sections: ReportSections,
  maxPoints = MAX_TIME_POINTS,
): ChartData {
  const buckets = downsampleWindows(summary.windows, maxPoints);
  const merged = Math.max(1, Math.ceil(summary.windows.length / Math.max(1, maxPoints)));
  return {
    charts: [
      ...(buckets.length > 0
        ? markAnomalies(timeCharts(summary, buckets, merged, sections.plan), summary.anomalies)
        : []),
      ...distributionCharts(summary),
      ...sweepChart(sections),
      ...agentsChart(summary),
      ...telemetryCharts(sections, maxPoints),
    ],
    stages: sections.stages.map((s) => ({ name: s.name, start: s.start, end: s.end })),
    events: sections.events,
    mergedWindows: merged,
    marksSpan: marksSpan(summary, sections),
  };
}
