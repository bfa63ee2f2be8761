/**
 * @module report/html/chart-data
 * What the page's charts draw, as plain data: built from the summary (and
 * its optional sections) at render time, embedded as JSON, drawn by uPlot in
 * the browser. Time series are downsampled to a bounded number of points.
 */
import type { WindowFlow } from '../../metrics/index.js';
import type { Summary } from '../summary.js';
import type { ChartData, ChartSeriesSpec, ChartSpec } from './client/chart-types.js';
import { downsampleWindows, type WindowBucket } from './downsample.js';
import type { OfferedPlan, ReportSections, SweepLatency } from './sections.js';

export type { ChartData, ChartSeriesSpec, ChartSpec };

/** Most points of a time chart; a one-hour run of 1 s windows is merged 6:1. */
export const MAX_TIME_POINTS = 600;

const PALETTE = ['#0969da', '#cf222e', '#1f883d', '#9a6700', '#8250df', '#bc4c00', '#1b7c83', '#6e7781'];
const P_COLORS = { p50: '#1f883d', p95: '#9a6700', p99: '#cf222e' } as const;

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function perSecond(buckets: readonly WindowBucket[], pick: (b: WindowBucket) => number): number[] {
  return buckets.map((b) => round3(pick(b) / b.width_s));
}

/** A `flow` rate of each bucket (already per second). */
function flowSeries(buckets: readonly WindowBucket[], key: keyof WindowFlow): number[] {
  return buckets.map((b) => round3(b.flow[key]));
}

function quantileSeries(
  buckets: readonly WindowBucket[],
  pick: (b: WindowBucket) => { p50: number; p95: number; p99: number },
  has: (b: WindowBucket) => boolean,
): ChartSeriesSpec[] {
  return (['p50', 'p95', 'p99'] as const).map((p) => ({
    label: p,
    color: P_COLORS[p],
    dash: p === 'p99',
    values: buckets.map((b) => (has(b) ? pick(b)[p] : null)),
  }));
}

/** The plan's mean value over each bucket, so it lines up with the measured series. */
function planSeries(plan: OfferedPlan, buckets: readonly WindowBucket[]): (number | null)[] {
  return buckets.map((b) => {
    const inside = plan.series.filter((p) => p.start_s >= b.start_s && p.start_s < b.start_s + b.width_s);
    if (inside.length === 0) return null;
    return round3(inside.reduce((n, p) => n + p.value, 0) / inside.length);
  });
}

function timeCharts(
  summary: Summary,
  buckets: readonly WindowBucket[],
  merged: number,
  plan: OfferedPlan | undefined,
): ChartSpec[] {
  const x = buckets.map((b) => b.start_s);
  const suffix = merged > 1 ? ` (worst of ${merged} windows per point)` : '';
  const time = (id: string, title: string, yLabel: string, series: ChartSeriesSpec[]): ChartSpec => ({
    id,
    title,
    kind: 'time',
    group: 'time',
    xLabel: 'time (s)',
    yLabel,
    x,
    series,
  });
  const okRequests = (b: WindowBucket) => b.ok > 0;
  const kinds = Object.keys(summary.counts.byError);
  const charts: ChartSpec[] = [
    // Each by its own clock (see WindowFlow): under saturation, offered and sent run ahead of the
    // throughput; below it they coincide. So each series differs in colour, width and dash: the
    // plan a wide grey band drawn first, sent a wide orange line, the throughput green over it,
    // offered blue dashes and ok black dots on top, so every one stays visible where they meet.
    time('rate', 'Offered vs achieved rate', 'requests/s', [
      ...(plan?.unit === 'iterations_per_s'
        ? [{ label: 'planned arrivals/s', color: '#afb8c1', width: 7, values: planSeries(plan, buckets) }]
        : []),
      { label: 'sent', color: '#e36209', width: 4, values: flowSeries(buckets, 'sent_per_s') },
      {
        label: 'throughput (completed)',
        color: '#1f883d',
        width: 2,
        values: flowSeries(buckets, 'completed_per_s'),
      },
      {
        // The load model's arrivals when it scheduled them: first attempts and dropped, not retries.
        label: 'offered (scheduled)',
        color: '#0969da',
        dash: [7, 4],
        width: 2,
        values: flowSeries(buckets, 'offered_per_s'),
      },
      { label: 'ok', color: '#24292f', dash: [2, 3], values: flowSeries(buckets, 'ok_per_s') },
      ...(buckets.some((b) => b.retries > 0)
        ? [
            {
              label: 'retries (attempts after the first)',
              color: '#8250df',
              values: perSecond(buckets, (b) => b.retries),
            },
          ]
        : []),
    ]),
  ];
  const vus: ChartSeriesSpec[] = [];
  if (buckets.some((b) => b.active_vus !== undefined)) {
    vus.push({
      // Wide and drawn first: where it equals the plan, the dashed plan shows on top of it.
      label: 'active VUs (measured)',
      color: PALETTE[4] ?? '',
      width: 4,
      values: buckets.map((b) => b.active_vus ?? null),
    });
  }
  if (plan?.unit === 'vus') {
    vus.push({
      label: 'planned VUs',
      color: PALETTE[0] ?? '',
      dash: true,
      values: planSeries(plan, buckets),
    });
  }
  if (vus.length > 0) charts.push(time('vus', 'Virtual users', 'VUs', vus));
  charts.push(
    time(
      'ttft',
      `TTFT per window${suffix}`,
      'ms',
      quantileSeries(buckets, (b) => b.ttft_ms, okRequests),
    ),
    time(
      'itl',
      `ITL per window${suffix}`,
      'ms',
      quantileSeries(buckets, (b) => b.itl_ms, okRequests),
    ),
    time(
      'e2e',
      `E2E latency per window${suffix}`,
      'ms',
      quantileSeries(buckets, (b) => b.e2e_ms, okRequests),
    ),
    time('tokens', 'Output tokens per second', 'tokens/s', [
      {
        label: 'output tokens/s',
        color: PALETTE[0] ?? '',
        values: perSecond(buckets, (b) => b.output_tokens),
      },
    ]),
    time('errors', 'Errors by kind and dropped arrivals', 'per second', [
      ...kinds.map((kind, i) => ({
        label: kind,
        color: PALETTE[(i + 1) % PALETTE.length] ?? '',
        values: perSecond(buckets, (b) => b.byError[kind] ?? 0),
      })),
      { label: 'dropped', color: PALETTE[7] ?? '', dash: true, values: perSecond(buckets, (b) => b.dropped) },
      {
        label: 'cancelled',
        color: PALETTE[3] ?? '',
        dash: true,
        values: perSecond(buckets, (b) => b.cancelled),
      },
    ]),
    ...(summary.checks === undefined
      ? []
      : [
          time('checks', 'Checks on answers: pass rate per window', 'pass rate', [
            {
              label: 'all checks',
              color: PALETTE[0] ?? '',
              width: 3,
              values: buckets.map((b) => (b.checks === undefined ? null : b.checks.rate)),
            },
            ...Object.keys(summary.checks.byCheck).map((name, i) => ({
              label: name,
              color: PALETTE[(i + 1) % PALETTE.length] ?? '',
              dash: true,
              values: buckets.map((b) => b.checks?.byCheck[name]?.rate ?? null),
            })),
          ]),
        ]),
    time('lag', `Scheduling lag${suffix}`, 'ms', [
      {
        label: 'p99',
        color: P_COLORS.p99,
        values: buckets.map((b) => (b.requests > 0 ? b.scheduling_lag_ms.p99 : null)),
      },
      {
        label: 'max',
        color: PALETTE[4] ?? '',
        dash: true,
        values: buckets.map((b) => (b.requests > 0 ? b.scheduling_lag_ms.max : null)),
      },
    ]),
  );
  return charts;
}

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
        series: [{ label: 'percentile', color: PALETTE[0] ?? '', values: d.p }],
      },
    ];
  });
}

/**
 * Latency against completed throughput, the curve a sweep exists to draw: it bends where the
 * server saturates (offered load climbs on, throughput does not). Points go in throughput order;
 * a sweep without measured throughput (an external summary) is drawn against offered load.
 */
function sweepChart(sections: ReportSections): ChartSpec[] {
  const sweep = sections.sweep;
  if (sweep === undefined) return [];
  const byThroughput = sweep.points.length > 0 && sweep.points.every((p) => p.throughput !== undefined);
  const pts = byThroughput
    ? [...sweep.points].sort((a, b) => (a.throughput ?? 0) - (b.throughput ?? 0) || a.offered - b.offered)
    : sweep.points;
  const xOf = (p: (typeof pts)[number]) => (byThroughput ? (p.throughput as number) : p.offered);
  /** Where an offered load lands on the x axis: the throughput its step completed. */
  const atOffered = (offered: number) => {
    if (!byThroughput) return offered;
    const p = pts.find((q) => q.offered === offered);
    return p === undefined ? undefined : xOf(p);
  };
  const vlines: { x: number; label: string }[] = [];
  const mark = (offered: number | undefined, label: string) => {
    const x = offered === undefined ? undefined : atOffered(offered);
    if (x !== undefined) vlines.push({ x, label: `${label} ${offered}` });
  };
  mark(sweep.knee, 'knee');
  mark(sweep.capacity, 'capacity');
  if (byThroughput && sweep.saturationThroughput !== undefined) {
    vlines.push({ x: sweep.saturationThroughput, label: `saturation ${sweep.saturationThroughput}` });
  }
  const latency = (
    name: 'ttft' | 'e2e',
    p: keyof SweepLatency,
    color: string,
    dash = false,
  ): ChartSeriesSpec => ({
    label: `${name.toUpperCase()} ${p} (ms)`,
    color,
    dash,
    values: pts.map((pt) => pt[name]?.[p] ?? null),
  });
  const has = (name: 'ttft' | 'e2e', p: keyof SweepLatency) => pts.some((pt) => pt[name]?.[p] !== undefined);
  const colors: Record<keyof SweepLatency, string> = { ...P_COLORS, p90: PALETTE[5] ?? '' };
  const series: ChartSeriesSpec[] = (['p50', 'p90', 'p95', 'p99'] as const)
    .filter((p) => has('ttft', p))
    .map((p) => latency('ttft', p, colors[p], p === 'p99'));
  // A sweep without model steps judges E2E: draw its tail.
  const e2eTail = (['p95', 'p90', 'p99'] as const).find((p) => has('e2e', p));
  if (e2eTail !== undefined) series.push(latency('e2e', e2eTail, PALETTE[4] ?? '', true));
  if (pts.some((p) => p.goodput !== undefined)) {
    series.push({
      label: 'goodput (req/s)',
      color: PALETTE[0] ?? '',
      scale: 'y2',
      values: pts.map((p) => p.goodput ?? null),
    });
  }
  if (pts.some((p) => p.offeredPerS !== undefined)) {
    series.push({
      label: 'offered (req/s)',
      color: PALETTE[6] ?? '',
      scale: 'y2',
      dash: true,
      values: pts.map((p) => p.offeredPerS ?? null),
    });
  }
  return [
    {
      id: 'sweep',
      title: byThroughput
        ? 'Sweep: latency against completed throughput'
        : 'Sweep: latency and goodput against offered load',
      kind: 'sweep',
      group: 'sweep',
      xLabel: byThroughput ? 'completed throughput (req/s)' : `offered load (${sweep.unit})`,
      yLabel: 'latency (ms)',
      y2Label: 'req/s',
      x: pts.map(xOf),
      series,
      vlines,
    },
  ];
}

/**
 * Agent tasks against load: steps and model calls per task, and the amplification, by stage
 * load (each stage's target); drawn when two or more stages with a target ran tasks.
 */
function agentsChart(summary: Summary): ChartSpec[] {
  const stages = (summary.agents?.stages ?? []).filter((st) => st.target !== undefined);
  if (stages.length < 2) return [];
  const pts = [...stages].sort((a, b) => (a.target as number) - (b.target as number));
  return [
    {
      id: 'agents',
      title: 'Agent tasks: steps and model calls per task against load',
      kind: 'sweep',
      group: 'agents',
      xLabel: 'stage load (target)',
      yLabel: 'per task (mean)',
      y2Label: 'amplification (x)',
      x: pts.map((st) => st.target as number),
      series: [
        { label: 'steps per task', color: PALETTE[0] ?? '', values: pts.map((st) => st.steps_mean) },
        {
          label: 'model calls per task',
          color: PALETTE[1] ?? '',
          values: pts.map((st) => st.model_calls_mean),
        },
        {
          label: 'amplification (x)',
          color: PALETTE[4] ?? '',
          dash: true,
          scale: 'y2',
          values: pts.map((st) => st.amplification),
        },
      ],
    },
  ];
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
      series: [{ label: t.name, color: PALETTE[i % PALETTE.length] ?? '', values: pts.map((p) => p[1]) }],
    };
  });
}

/** The time chart each anomaly's metric is drawn on. */
const ANOMALY_CHART: Record<string, string> = {
  ttft_ms: 'ttft',
  e2e_ms: 'e2e',
  itl_ms: 'itl',
  output_tokens_per_s: 'tokens',
};

/** Shades each anomaly's windows on the chart of its metric. */
function markAnomalies(charts: ChartSpec[], anomalies: Summary['anomalies']): ChartSpec[] {
  for (const a of anomalies ?? []) {
    const chart = charts.find((c) => c.id === ANOMALY_CHART[a.metric.split('.')[0] ?? '']);
    if (chart === undefined) continue;
    chart.spans ??= [];
    chart.spans.push({ from: a.windows[0], to: a.windows[1], label: `${a.metric} ${a.kind}` });
  }
  return charts;
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
  };
}
