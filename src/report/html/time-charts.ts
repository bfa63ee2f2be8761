/**
 * @module report/html/time-charts
 * The "Over time" charts, one point per (downsampled) window: offered,
 * sent and completed rates, virtual users, TTFT, ITL and E2E percentiles,
 * output tokens, errors, check pass rates and scheduling lag; and each
 * anomaly shaded on the chart of its metric.
 * Why apart: all of them are drawn from the window series (downsample.ts);
 * a report of a long run is mostly these.
 */
import type { WindowFlow } from '../../metrics/index.js';
import type { Summary } from '../summary.js';
import { P_COLORS, paletteColor } from './chart-colors.js';
import type { ChartSeriesSpec, ChartSpec } from './client/chart-types.js';
import type { WindowBucket } from './downsample.js';
import type { OfferedPlan } from './sections.js';

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

/** The window series' charts; `merged` windows make each point (1 when not downsampled). */
export function timeCharts(
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
      color: paletteColor(4),
      width: 4,
      values: buckets.map((b) => b.active_vus ?? null),
    });
  }
  if (plan?.unit === 'vus') {
    vus.push({
      label: 'planned VUs',
      color: paletteColor(0),
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
        color: paletteColor(0),
        values: perSecond(buckets, (b) => b.output_tokens),
      },
    ]),
    time('errors', 'Errors by kind and dropped arrivals', 'per second', [
      ...kinds.map((kind, i) => ({
        label: kind,
        color: paletteColor(i + 1),
        values: perSecond(buckets, (b) => b.byError[kind] ?? 0),
      })),
      { label: 'dropped', color: paletteColor(7), dash: true, values: perSecond(buckets, (b) => b.dropped) },
      {
        label: 'cancelled',
        color: paletteColor(3),
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
              color: paletteColor(0),
              width: 3,
              values: buckets.map((b) => (b.checks === undefined ? null : b.checks.rate)),
            },
            ...Object.keys(summary.checks.byCheck).map((name, i) => ({
              label: name,
              color: paletteColor(i + 1),
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
        color: paletteColor(4),
        dash: true,
        values: buckets.map((b) => (b.requests > 0 ? b.scheduling_lag_ms.max : null)),
      },
    ]),
  );
  return charts;
}
/** The time chart each anomaly's metric is drawn on. */
const ANOMALY_CHART: Record<string, string> = {
  ttft_ms: 'ttft',
  e2e_ms: 'e2e',
  itl_ms: 'itl',
  output_tokens_per_s: 'tokens',
};

/** Shades each anomaly's windows on the chart of its metric. */
export function markAnomalies(charts: ChartSpec[], anomalies: Summary['anomalies']): ChartSpec[] {
  for (const a of anomalies ?? []) {
    const chart = charts.find((c) => c.id === ANOMALY_CHART[a.metric.split('.')[0] ?? '']);
    if (chart === undefined) continue;
    chart.spans ??= [];
    chart.spans.push({ from: a.windows[0], to: a.windows[1], label: `${a.metric} ${a.kind}` });
  }
  return charts;
}
