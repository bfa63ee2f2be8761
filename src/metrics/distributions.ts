/**
 * @module metrics/distributions
 * The shape of a latency distribution for plotting: the value at a fixed
 * ladder of percentiles, read from the run's full histogram (never from
 * downsampled windows), so a CDF in the report matches the summary exactly.
 */
import type { PercentileSource } from './histogram.js';
import type { MetricName } from './summary-core.js';

/** Dense in the body, denser in the tail where latency problems live. */
export const PERCENTILE_LADDER: readonly number[] = [
  0, 1, 2, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92, 94, 95, 96, 97, 98, 99,
  99.5, 99.9, 99.99, 100,
];

/** Metrics the report draws distributions of. */
export const DISTRIBUTION_METRICS = [
  'ttft_ms',
  'itl_ms',
  'tpot_ms',
  'e2e_ms',
] as const satisfies readonly MetricName[];

/** Percentile `p[i]` (0..100) has value `v[i]`; `count` values were recorded. */
export interface Distribution {
  count: number;
  p: number[];
  v: number[];
}

/** The percentile ladder of one histogram. */
export function distributionOf(h: PercentileSource): Distribution {
  return { count: h.count, p: [...PERCENTILE_LADDER], v: PERCENTILE_LADDER.map((p) => h.percentile(p)) };
}

/** Distributions of the {@link DISTRIBUTION_METRICS} that have values; `histogram` looks one up. */
export function distributionsOf(
  histogram: (metric: MetricName) => PercentileSource | undefined,
): Partial<Record<(typeof DISTRIBUTION_METRICS)[number], Distribution>> {
  const out: Partial<Record<(typeof DISTRIBUTION_METRICS)[number], Distribution>> = {};
  for (const metric of DISTRIBUTION_METRICS) {
    const h = histogram(metric);
    if (h !== undefined && h.count > 0) out[metric] = distributionOf(h);
  }
  return out;
}
