/**
 * @module analysis/compare-rows
 * The judgement of one figure of `tokenstorm compare`: a latency's
 * percentiles against one baseline run (bootstrap CI, Mann-Whitney or
 * exceedance test, a band) or against several (the candidate's CI against
 * the baseline runs' median, left pending until the prediction bound is
 * known), and a proportion (error rate, goodput) either way. Each function
 * gives rows; analysis/compare assembles them into a verdict.
 * Apart from the assembly so that each judgement reads on its own.
 */
import {
  baselineSpread,
  bootstrapQuantileDeltas,
  bootstrapQuantiles,
  type Interval,
  inverseNormalTail,
  mannWhitney,
  medianAndMad,
  proportionDeltaInterval,
  quantileSorted,
  twoProportion,
  wilson,
} from './compare-stats.js';
import type { CompareRow, Comparison, Verdict } from './compare-types.js';

/** The practical-significance bands when none is given, by `stat` or `metric`. */
export const DEFAULT_BANDS: Readonly<Record<string, number>> = {
  p50: 0.1,
  p90: 0.15,
  p95: 0.15,
  p99: 0.2,
  output_tokens_per_s: 0.1,
  error_rate: 0.01,
  goodput_pct: 5,
};

/** The latencies compared, each at the PERCENTILES. */
export const LATENCY_METRICS = ['ttft_ms', 'itl_ms', 'tpot_ms', 'e2e_ms'] as const;
export const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
/** Fewer values than this beyond a percentile, and it is not judged. */
const MIN_TAIL = 3;

/** The band of `metric.stat`: the most specific of `bands`, then the defaults. */
export function bandFor(bands: Record<string, number>, metric: string, stat: string): number {
  return (
    bands[`${metric}.${stat}`] ??
    bands[stat] ??
    bands[metric] ??
    DEFAULT_BANDS[stat] ??
    DEFAULT_BANDS[metric] ??
    0.1
  );
}

/** The options a comparison resolved (defaults filled in). */
export type Opts = Comparison['options'];

/** A rolling row waiting for its tolerance: the band or resolution below it, and how many baseline runs gave its spread. */
export interface Pending {
  row: CompareRow;
  floor: number;
  runs: number;
}

/** regression / improvement when the delta is beyond `tolerance` (worse / better side) and its CI excludes 0 on that side. */
export function judge(
  worse: 'higher' | 'lower',
  delta: number,
  tolerance: number,
  ci: Interval | null,
  significant: boolean,
): Verdict {
  if (!ci) return 'insufficient data';
  const s = worse === 'higher' ? 1 : -1;
  const sd = s * delta;
  const ciWorse = worse === 'higher' ? ci.low > 0 : ci.high < 0;
  const ciBetter = worse === 'higher' ? ci.high < 0 : ci.low > 0;
  if (significant && sd > tolerance && ciWorse) return 'regression';
  if (significant && sd < -tolerance && ciBetter) return 'improvement';
  return 'no significant change';
}

function enough(n: number, q: number): boolean {
  return n >= 20 && n * (1 - q) >= MIN_TAIL;
}

/** A latency's percentile rows against one baseline run. */
export function latencySingle(
  scenario: string,
  metric: CompareRow['metric'],
  base: Float64Array,
  cand: Float64Array,
  seed: number,
  opts: Opts,
): CompareRow[] {
  const qs = PERCENTILES.map(([, q]) => q);
  const judged = PERCENTILES.map(([, q]) => enough(base.length, q) && enough(cand.length, q));
  const cis = judged.some(Boolean)
    ? bootstrapQuantileDeltas(base, cand, qs, {
        resamples: opts.resamples,
        confidence: opts.confidence,
        seed,
      })
    : [];
  const mw = mannWhitney(base, cand);
  return PERCENTILES.map(([stat, q], i) => {
    const b = quantileSorted(base, q);
    const c = quantileSorted(cand, q);
    const delta = c - b;
    const band = bandFor(opts.bands, metric, stat);
    const ci = judged[i] ? (cis[i] ?? null) : null;
    // The median's shift is a location question (Mann-Whitney); a tail percentile's is the share of values beyond the baseline's percentile.
    const test =
      q === 0.5
        ? { name: 'mann-whitney' as const, p: mw.p }
        : { name: 'exceedance' as const, p: exceedanceP(base, cand, b) };
    const tolerance = Math.max(band * Math.abs(b), opts.minDeltaMs);
    return {
      scenario,
      metric,
      stat,
      worse: 'higher',
      baseline: b,
      candidate: c,
      delta,
      relative: b !== 0 ? delta / b : null,
      ci,
      test,
      band: { value: band, kind: 'relative' },
      tolerance,
      samples: { baseline: base.length, candidate: cand.length },
      verdict: judge('higher', delta, tolerance, ci, test.p < opts.alpha),
    } satisfies CompareRow;
  });
}

/** Two-proportion test of the shares of each sample above `threshold`. */
function exceedanceP(base: Float64Array, cand: Float64Array, threshold: number): number {
  const above = (a: Float64Array) => {
    let n = 0;
    for (let i = a.length - 1; i >= 0 && (a[i] as number) > threshold; i--) n++;
    return n;
  };
  return twoProportion(above(base), base.length, above(cand), cand.length).p;
}

/** A latency's percentile rows against several baseline runs; those with a CI go to `pending`. */
export function latencyRolling(
  scenario: string,
  metric: CompareRow['metric'],
  bases: Float64Array[],
  cand: Float64Array,
  seed: number,
  opts: Opts,
  pending: Pending[],
): CompareRow[] {
  const qs = PERCENTILES.map(([, q]) => q);
  const judged = PERCENTILES.map(
    ([, q]) => enough(cand.length, q) && bases.filter((b) => enough(b.length, q)).length >= 2,
  );
  const cis = judged.some(Boolean)
    ? bootstrapQuantiles(cand, qs, { resamples: opts.resamples, confidence: opts.confidence, seed })
    : [];
  return PERCENTILES.map(([stat, q], i) => {
    const values = bases.filter((b) => enough(b.length, q)).map((b) => quantileSorted(b, q));
    const { median, spread } =
      values.length > 0 ? baselineSpread(values) : { median: Number.NaN, spread: Number.NaN };
    const c = quantileSorted(cand, q);
    const delta = c - median;
    const band = bandFor(opts.bands, metric, stat);
    const floor = Math.max(band * Math.abs(median), opts.minDeltaMs);
    const boot = judged[i] ? cis[i] : undefined;
    const ci = boot ? { low: boot.low - median, high: boot.high - median } : null;
    const row: CompareRow = {
      scenario,
      metric,
      stat,
      worse: 'higher',
      baseline: median,
      candidate: c,
      delta,
      relative: median !== 0 ? delta / median : null,
      ci,
      band: { value: band, kind: 'relative' },
      spread,
      tolerance: floor,
      samples: { baseline: bases.reduce((s, b) => s + b.length, 0), candidate: cand.length },
      verdict: 'insufficient data',
    };
    if (ci) pending.push({ row, floor, runs: values.length });
    return row;
  });
}

/** An error_rate or goodput_pct row (a share × `scale`), against one baseline run or several (then pending). */
export function proportionRow(
  scenario: string,
  metric: 'error_rate' | 'goodput_pct',
  worse: 'higher' | 'lower',
  bases: ({ x: number; n: number } | undefined)[],
  cand: { x: number; n: number } | undefined,
  scale: number,
  opts: Opts,
  pending: Pending[],
): CompareRow {
  const band = bandFor(opts.bands, metric, 'value');
  const present = bases.filter((b): b is { x: number; n: number } => b !== undefined && b.n > 0);
  const c = cand && cand.n > 0 ? (cand.x / cand.n) * scale : Number.NaN;
  const base = {
    scenario,
    metric,
    stat: 'value',
    worse,
    band: { value: band, kind: 'absolute' as const },
    samples: { baseline: present.reduce((s, b) => s + b.n, 0), candidate: cand?.n ?? 0 },
  };
  if (!cand || cand.n === 0 || present.length === 0) {
    const b = present.length > 0 ? medianAndMad(present.map((p) => (p.x / p.n) * scale)).median : Number.NaN;
    return {
      ...base,
      baseline: b,
      candidate: c,
      delta: c - b,
      relative: null,
      ci: null,
      verdict: 'insufficient data',
    };
  }
  if (present.length === 1) {
    const b0 = present[0] as { x: number; n: number };
    const b = (b0.x / b0.n) * scale;
    const t = twoProportion(b0.x, b0.n, cand.x, cand.n);
    const raw = proportionDeltaInterval(b0.x, b0.n, cand.x, cand.n, opts.confidence);
    const ci = { low: raw.low * scale, high: raw.high * scale };
    return {
      ...base,
      baseline: b,
      candidate: c,
      delta: c - b,
      relative: b !== 0 ? (c - b) / b : null,
      ci,
      test: { name: 'two-proportion', p: t.p },
      verdict: judge(worse, c - b, band, ci, t.p < opts.alpha),
    };
  }
  const { median, spread } = baselineSpread(present.map((p) => (p.x / p.n) * scale));
  // The Wilson interval of the candidate's share, against the baseline runs' median.
  const [wl, wh] = wilson(cand.x, cand.n, zFor(opts.confidence));
  const low = wl * scale - median;
  const high = wh * scale - median;
  const row: CompareRow = {
    ...base,
    baseline: median,
    candidate: c,
    delta: c - median,
    relative: median !== 0 ? (c - median) / median : null,
    ci: { low, high },
    spread,
    tolerance: band,
    verdict: 'insufficient data',
  };
  pending.push({ row, floor: band, runs: present.length });
  return row;
}

/** The normal quantile of a two-sided CI at `confidence`. */
export function zFor(confidence: number): number {
  return -inverseNormalTail((1 - confidence) / 2);
}
