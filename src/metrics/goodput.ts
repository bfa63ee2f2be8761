/**
 * @module metrics/goodput
 * Per-request SLOs: a request is good when it is ok and meets every SLO
 * (DESIGN.md §2, `goodput_per_s`). With no SLOs, every ok request is good.
 */
import { z } from 'zod';
import type { RequestRecord } from '../core/index.js';
import { sampleOf } from './samples.js';

/** Metrics an SLO may bound: per-request durations. */
export const SLO_METRICS = [
  'ttft_ms',
  'tpot_ms',
  'e2e_ms',
  'ttfb_ms',
  'ttft_from_schedule_ms',
  'e2e_from_schedule_ms',
] as const;
export type SloMetric = (typeof SLO_METRICS)[number];

/** One per-request objective, e.g. `{ metric: 'ttft_ms', maxMs: 500 }`. */
export interface RequestSlo {
  metric: SloMetric;
  maxMs: number;
}

/**
 * Whether `r` counts towards goodput. An SLO on a metric the request does not
 * have (TTFT of a plain HTTP step) does not apply to it.
 */
export function isGood(r: RequestRecord, slos: readonly RequestSlo[]): boolean {
  if (r.outcome !== 'ok') return false;
  for (const slo of slos) {
    const value = sampleOf(r, slo.metric);
    if (value !== undefined && value > slo.maxMs) return false;
  }
  return true;
}

/** The metric that bounds a logical request where an SLO names a per-attempt one. */
const LOGICAL_OF: Partial<Record<SloMetric, 'ttft_logical_ms' | 'e2e_logical_ms'>> = {
  ttft_ms: 'ttft_logical_ms',
  e2e_ms: 'e2e_logical_ms',
};

/**
 * Whether `r`, the last attempt of its logical request, makes that request
 * good: ok, with TTFT and E2E SLOs judged from the first attempt's send (the
 * retry waits count, as the user waited them); the other SLOs by `r` itself.
 */
export function isGoodLogical(r: RequestRecord, slos: readonly RequestSlo[]): boolean {
  if (r.logicalSent === undefined) return isGood(r, slos);
  if (r.outcome !== 'ok') return false;
  for (const slo of slos) {
    const value = sampleOf(r, LOGICAL_OF[slo.metric] ?? slo.metric);
    if (value !== undefined && value > slo.maxMs) return false;
  }
  return true;
}

const sloBound = (metric: string) =>
  z
    .number({ error: `expected the most milliseconds ${metric} may take for a good request` })
    .positive({ error: `expected the most milliseconds ${metric} may take for a good request` });

/**
 * The test's `slo` section: the most each per-request latency may be for the
 * request to count as good, e.g. `{ ttft_ms: 500, tpot_ms: 50, e2e_ms: 10000 }`.
 */
export const SloSchema = z.strictObject(
  Object.fromEntries(SLO_METRICS.map((m) => [m, sloBound(m).optional()])) as Record<
    SloMetric,
    z.ZodOptional<z.ZodNumber>
  >,
);
export type Slo = z.output<typeof SloSchema>;

/** The SLO section as a list, in `SLO_METRICS` order. */
export function slosOf(slo: Slo | undefined): RequestSlo[] {
  if (slo === undefined) return [];
  return SLO_METRICS.flatMap((metric) => {
    const maxMs = slo[metric];
    return maxMs === undefined ? [] : [{ metric, maxMs }];
  });
}
