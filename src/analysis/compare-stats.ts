/**
 * @module analysis/compare-stats
 * The statistics behind `tokenstorm compare`: percentiles of sorted samples, a
 * seeded bootstrap CI of a percentile delta, the Mann-Whitney U test, a
 * two-proportion test, a deterministic subsample, and the spread of a few
 * baseline runs with the prediction factor for a new run. Pure functions, no I/O;
 * seeded so the same runs always give the same verdict
 * (docs/design/2026-12-07-compare.md).
 */
import { errorFunction } from 'simple-statistics';
import { createRng, deriveSeed, type Rng } from '../random/index.js';

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + errorFunction(z / Math.SQRT2));
}

/** Two-sided p-value of a standard normal statistic. */
export function twoSidedP(z: number): number {
  if (!Number.isFinite(z)) return Number.isNaN(z) ? 1 : 0;
  return Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
}

/** The q-quantile (0 ≤ q ≤ 1) of ascending values, interpolated between order statistics (Hyndman & Fan type 7). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

/**
 * At most `cap` values of an ascending array, evenly spaced by rank (the first
 * and last kept): deterministic, and its quantiles track the full sample's.
 */
export function subsampleSorted(sorted: Float64Array, cap: number): Float64Array {
  const n = sorted.length;
  if (n <= cap) return sorted;
  const out = new Float64Array(cap);
  for (let i = 0; i < cap; i++) out[i] = sorted[Math.round((i * (n - 1)) / (cap - 1))] as number;
  return out;
}

/** Finite values, ascending, capped at `cap` by `subsampleSorted`. */
export function prepareSample(values: Iterable<number>, cap: number): Float64Array {
  const finite: number[] = [];
  for (const v of values) if (Number.isFinite(v)) finite.push(v);
  const sorted = Float64Array.from(finite).sort();
  return subsampleSorted(sorted, cap);
}

/**
 * The quantiles `qs` of one bootstrap resample of `sorted`, without sorting:
 * counts how often each index was drawn and walks the counts once.
 */
function resampleQuantiles(
  sorted: Float64Array,
  qs: readonly number[],
  rng: Rng,
  counts: Uint32Array,
  out: number[],
): void {
  const n = sorted.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) (counts[Math.floor(rng() * n)] as number)++;
  // Positions wanted (type 7): the order statistics floor(h) and floor(h)+1 of each q.
  let idx = 0;
  let seen = 0;
  for (let k = 0; k < qs.length; k++) {
    const h = (n - 1) * (qs[k] as number);
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, n - 1);
    // Advance until the resample's order statistic `lo` (0-based) is covered.
    while (seen + (counts[idx] as number) <= lo) {
      seen += counts[idx] as number;
      idx++;
    }
    const a = sorted[idx] as number;
    let j = idx;
    let s = seen;
    while (s + (counts[j] as number) <= hi) {
      s += counts[j] as number;
      j++;
    }
    const b = sorted[j] as number;
    out[k] = a + (h - lo) * (b - a);
  }
}

/** A two-sided confidence interval. */
export interface Interval {
  low: number;
  high: number;
}

/**
 * Percentile-bootstrap CIs (Efron & Tibshirani 1993, ch. 13) of
 * `quantile_q(candidate) − quantile_q(baseline)` for each q (ascending), both
 * samples resampled independently `resamples` times from a seeded source.
 */
export function bootstrapQuantileDeltas(
  baseline: Float64Array,
  candidate: Float64Array,
  qs: readonly number[],
  options: { resamples: number; confidence: number; seed: number },
): Interval[] {
  const rng = createRng(options.seed);
  const deltas = qs.map(() => new Float64Array(options.resamples));
  const cb = new Uint32Array(baseline.length);
  const cc = new Uint32Array(candidate.length);
  const qb: number[] = [];
  const qc: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    resampleQuantiles(baseline, qs, rng, cb, qb);
    resampleQuantiles(candidate, qs, rng, cc, qc);
    for (let k = 0; k < qs.length; k++)
      (deltas[k] as Float64Array)[r] = (qc[k] as number) - (qb[k] as number);
  }
  const tail = (1 - options.confidence) / 2;
  return deltas.map((d) => {
    d.sort();
    return { low: quantileSorted(d, tail), high: quantileSorted(d, 1 - tail) };
  });
}

/**
 * Percentile-bootstrap CIs of the quantiles `qs` of one sample (the rolling
 * case: the candidate against a fixed centre).
 */
export function bootstrapQuantiles(
  sample: Float64Array,
  qs: readonly number[],
  options: { resamples: number; confidence: number; seed: number },
): Interval[] {
  const rng = createRng(options.seed);
  const values = qs.map(() => new Float64Array(options.resamples));
  const counts = new Uint32Array(sample.length);
  const out: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    resampleQuantiles(sample, qs, rng, counts, out);
    for (let k = 0; k < qs.length; k++) (values[k] as Float64Array)[r] = out[k] as number;
  }
  const tail = (1 - options.confidence) / 2;
  return values.map((v) => {
    v.sort();
    return { low: quantileSorted(v, tail), high: quantileSorted(v, 1 - tail) };
  });
}

/** Result of a two-sample test: its statistic and two-sided p-value. */
export interface TestResult {
  statistic: number;
  p: number;
}

/**
 * Mann-Whitney U test of two ascending samples (Mann & Whitney 1947), normal
 * approximation with the tie correction; `statistic` is U of `b` over `a`
 * divided by n·m (the probability that a value of `b` exceeds one of `a`, ties half).
 */
export function mannWhitney(a: Float64Array, b: Float64Array): TestResult {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return { statistic: Number.NaN, p: 1 };
  // Merge the two sorted arrays, giving each tie group its mean rank.
  let i = 0;
  let j = 0;
  let rankSumB = 0;
  let rank = 1;
  let tieTerm = 0;
  while (i < n || j < m) {
    const v = i < n && (j >= m || (a[i] as number) <= (b[j] as number)) ? (a[i] as number) : (b[j] as number);
    let ca = 0;
    let cb = 0;
    while (i < n && a[i] === v) {
      i++;
      ca++;
    }
    while (j < m && b[j] === v) {
      j++;
      cb++;
    }
    const t = ca + cb;
    const meanRank = rank + (t - 1) / 2;
    rankSumB += cb * meanRank;
    rank += t;
    tieTerm += t * t * t - t;
  }
  const u = rankSumB - (m * (m + 1)) / 2;
  const mean = (n * m) / 2;
  const total = n + m;
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  const z = variance > 0 ? (u - mean) / Math.sqrt(variance) : 0;
  return { statistic: u / (n * m), p: twoSidedP(z) };
}

/** Two-proportion z-test (pooled): x1 of n1 against x2 of n2. */
export function twoProportion(x1: number, n1: number, x2: number, n2: number): TestResult {
  if (n1 === 0 || n2 === 0) return { statistic: Number.NaN, p: 1 };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  const z = se > 0 ? (p2 - p1) / se : 0;
  return { statistic: p2 - p1, p: twoSidedP(z) };
}

/**
 * Newcombe's hybrid Wilson-score CI of p2 − p1 (Newcombe 1998, method 10):
 * sensible near 0 and 1, where a Wald interval is not.
 */
export function proportionDeltaInterval(
  x1: number,
  n1: number,
  x2: number,
  n2: number,
  confidence: number,
): Interval {
  const z = -inverseNormalTail((1 - confidence) / 2);
  const [l1, u1] = wilson(x1, n1, z);
  const [l2, u2] = wilson(x2, n2, z);
  const p1 = n1 > 0 ? x1 / n1 : 0;
  const p2 = n2 > 0 ? x2 / n2 : 0;
  const d = p2 - p1;
  return {
    low: d - Math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
    high: d + Math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
  };
}

/** Wilson score interval of a proportion x/n at the normal quantile z (Wilson 1927). */
export function wilson(x: number, n: number, z: number): [number, number] {
  if (n === 0) return [0, 1];
  const p = x / n;
  const denom = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denom;
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** The z with P(Z ≤ z) = p, by bisection on the CDF (p in (0, 1)). */
export function inverseNormalTail(p: number): number {
  let lo = -10;
  let hi = 10;
  for (let k = 0; k < 80; k++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Median and the normal-consistent MAD (1.4826 × median absolute deviation) of a few values. */
export function medianAndMad(values: readonly number[]): { median: number; mad: number } {
  const sorted = Float64Array.from(values).sort();
  const median = quantileSorted(sorted, 0.5);
  const dev = Float64Array.from(values, (v) => Math.abs(v - median)).sort();
  return { median, mad: 1.4826 * quantileSorted(dev, 0.5) };
}

/** Sample standard deviation (n − 1), 0 for fewer than two values. */
function sampleSd(values: ArrayLike<number>, count: number): number {
  if (count < 2) return 0;
  let mean = 0;
  for (let i = 0; i < count; i++) mean += values[i] as number;
  mean /= count;
  let ss = 0;
  for (let i = 0; i < count; i++) ss += ((values[i] as number) - mean) ** 2;
  return Math.sqrt(ss / (count - 1));
}

/**
 * Orders `out` (a copy of `values`) by distance from `median`, nearest first
 * (insertion sort: a baseline is a few runs), and returns how many to keep:
 * all but the ⌊n/5⌋ furthest.
 */
function nearestFirst(values: ArrayLike<number>, median: number, out: Float64Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    const v = values[i] as number;
    const d = Math.abs(v - median);
    let j = i;
    while (j > 0 && Math.abs((out[j - 1] as number) - median) > d) {
      out[j] = out[j - 1] as number;
      j--;
    }
    out[j] = v;
  }
  return n - Math.floor(n / 5);
}

/**
 * The centre and spread of a few runs' values (a rolling baseline): their
 * median, and the standard deviation of the values left when the ⌊n/5⌋
 * furthest from the median are left out (one of five runs), so that one
 * disturbed run neither moves the centre nor blinds the comparison with its
 * spread. The spread is an estimate from few values: judge with
 * {@link predictionFactor}, never with a fixed multiple.
 */
export function baselineSpread(values: readonly number[]): { median: number; spread: number } {
  const sorted = Float64Array.from(values).sort();
  const median = quantileSorted(sorted, 0.5);
  const near = new Float64Array(values.length);
  const kept = nearestFirst(values, median, near);
  return { median, spread: sampleSd(near, kept) };
}

const factors = new Map<string, number>();

/**
 * The one-sided prediction factor q for a new run judged against n baseline
 * runs by {@link baselineSpread}: when the n + 1 runs' values are independent
 * draws of one normal distribution, P(new − median > q · spread) = 1 − level.
 * A prediction interval (Hahn & Meeker, Statistical Intervals, 2017, ch. 4)
 * for this centre and spread: they have no closed-form distribution, so q is
 * the level-quantile of (new − median) / spread over a seeded simulation
 * (deterministic, cached per n and level). It is large for few runs (about
 * 13 for n = 5 at level 0.9972, 5 for n = 20) because the spread of five
 * values is itself uncertain; a fixed 3 would be beaten about one time in
 * ten for n = 5.
 */
export function predictionFactor(n: number, level: number): number {
  if (n < 2) return Number.POSITIVE_INFINITY;
  const key = `${n}:${level}`;
  const known = factors.get(key);
  if (known !== undefined) return known;
  // Enough draws for a tail quantile, within about 4 million normal values.
  const draws = Math.max(20_000, Math.min(200_000, Math.floor(4_000_000 / (n + 1))));
  const rng = createRng(deriveSeed(0x7072_6564, n));
  let spare = Number.NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = Number.NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = rng();
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * rng();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const x = new Float64Array(n);
  const sorted = new Float64Array(n);
  const near = new Float64Array(n);
  const ratios = new Float64Array(draws);
  for (let i = 0; i < draws; i++) {
    for (let k = 0; k < n; k++) x[k] = normal();
    sorted.set(x);
    sorted.sort();
    const median = quantileSorted(sorted, 0.5);
    const kept = nearestFirst(x, median, near);
    const spread = sampleSd(near, kept);
    ratios[i] = spread > 0 ? (normal() - median) / spread : Number.POSITIVE_INFINITY;
  }
  ratios.sort();
  const q = quantileSorted(ratios, level);
  factors.set(key, q);
  return q;
}
