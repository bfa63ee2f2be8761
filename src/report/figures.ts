/**
 * @module report/figures
 * What every rendering of a summary (console, HTML, Markdown) agrees on:
 * the statistics columns of a metric, which metrics make rows and in what
 * order (the logical latencies first under retries, left out without: they
 * then equal the attempts'), whether any request was retried, and the
 * logical figures of a summary written before it had them.
 * Why apart: the console summary and the HTML report each kept a copy.
 */
import { type LogicalSummary, METRIC_NAMES, type MetricName, type MetricStats } from '../metrics/index.js';
import type { Summary } from './summary.js';

/** The columns of a metric's row. */
export const STAT_COLUMNS: readonly (keyof MetricStats)[] = [
  'count',
  'mean',
  'p50',
  'p90',
  'p95',
  'p99',
  'max',
];

const LOGICAL_METRICS: readonly MetricName[] = ['e2e_logical_ms', 'ttft_logical_ms'];

/** Whether any request was retried: only then do logical and attempt figures differ. */
export function retried(summary: Summary): boolean {
  return summary.logical !== undefined && summary.logical.requests !== summary.counts.requests;
}

/** The metrics a table shows, in order: the logical latencies first under retries, else none of them. */
export function metricRows(withRetries: boolean): MetricName[] {
  const attempts = METRIC_NAMES.filter((m) => !LOGICAL_METRICS.includes(m));
  return withRetries ? [...LOGICAL_METRICS, ...attempts] : attempts;
}

/** The logical figures, or (a summary written before they existed) the attempts'. */
export function logicalOf(summary: Summary): LogicalSummary {
  const c = summary.counts;
  const r = summary.rates;
  return (
    summary.logical ?? {
      requests: c.requests,
      ok: c.ok,
      errors: c.errors,
      cancelled: c.cancelled,
      byError: c.byError,
      error_rate: r.error_rate,
      ok_per_s: r.ok_per_s,
      goodput_per_s: r.goodput_per_s,
      goodput_pct: r.goodput_pct,
    }
  );
}
