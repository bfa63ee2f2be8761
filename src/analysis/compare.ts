/**
 * @module analysis/compare
 * `tokenstorm compare`: is a candidate run worse than its baseline? For each
 * latency percentile, error rate, goodput and tokens/s (overall and per
 * scenario) it gives the delta, a CI and a verdict. Against one baseline run a
 * regression needs statistical significance (bootstrap CI and a distribution
 * test) and practical significance (a band); against several (a rolling
 * baseline) it must lie beyond where one more run of the baseline's build
 * could fall: a prediction bound from the baseline runs' own spread, its
 * factor set by their number and a Bonferroni level over the rows, because
 * two runs of one build differ by more than the samples inside one run say and
 * a few runs say little about their spread.
 * Pure and seeded: the same runs give the same verdict (docs/design/2026-12-07-compare.md).
 */
import { deriveSeed } from '../random/index.js';
import {
  baselineSpread,
  bootstrapQuantileDeltas,
  bootstrapQuantiles,
  type Interval,
  inverseNormalTail,
  mannWhitney,
  medianAndMad,
  predictionFactor,
  prepareSample,
  proportionDeltaInterval,
  quantileSorted,
  twoProportion,
  twoSidedP,
  wilson,
} from './compare-stats.js';

/** One request's values, as records.jsonl holds them. */
export interface CompareRequest {
  scenario: string;
  outcome: 'ok' | 'error' | 'cancelled';
  ttftMs?: number;
  itlMs?: number[];
  tpotMs?: number;
  e2eMs?: number;
}

/** What a run was: runs of different tests, targets or load are not comparable. */
export interface CompareIdentity {
  test: string;
  target: string;
  load: unknown;
}

interface CountsLike {
  requests: number;
  errors: number;
  cancelled: number;
}
interface RatesLike {
  output_tokens_per_s: number;
  goodput_pct: number;
  error_rate: number;
}

/** The part of summary.json a comparison reads. */
export interface CompareSummary {
  counts: CountsLike;
  rates: RatesLike;
  scenarios: Record<string, { counts: CountsLike; rates: RatesLike }>;
  windows?: { start_s: number; output_tokens: number }[];
  slo?: Record<string, number | undefined>;
  /** The generator's own health: a limited generator's latencies include its own delay. */
  generator?: { limited?: boolean; reasons?: string[]; event_loop_delay_p99_ms?: number };
}

/** A run as compared: a label (a directory, a history id), its identity, summary and per-request values. */
export interface CompareRun {
  label: string;
  identity?: CompareIdentity;
  summary: CompareSummary;
  requests: readonly CompareRequest[];
}

export type Verdict = 'regression' | 'improvement' | 'no significant change' | 'insufficient data';

export interface CompareRow {
  /** `all` for the whole run, else a scenario name. */
  scenario: string;
  metric: 'ttft_ms' | 'itl_ms' | 'tpot_ms' | 'e2e_ms' | 'output_tokens_per_s' | 'error_rate' | 'goodput_pct';
  /** `p50` … `p99` for latencies, `value` for rates. */
  stat: string;
  /** Which way is worse. */
  worse: 'higher' | 'lower';
  /** The baseline run's value, or the median of the baseline runs' values. */
  baseline: number;
  candidate: number;
  /** candidate − baseline. */
  delta: number;
  /** delta ÷ baseline, null when the baseline is 0. */
  relative: number | null;
  /** CI of delta (`confidence`), null when there were too few values. */
  ci: Interval | null;
  /** The distribution test (single baseline) and its two-sided p-value. */
  test?: { name: 'mann-whitney' | 'exceedance' | 'two-proportion' | 'welch'; p: number };
  /** Practical-significance band: relative (a share of the baseline) or absolute (in the metric's unit). */
  band: { value: number; kind: 'relative' | 'absolute' };
  /**
   * Rolling baseline: the baseline runs' spread, the standard deviation of
   * their values with the ⌊n/5⌋ furthest from their median left out.
   */
  spread?: number;
  /** Rolling baseline: how far beyond the median a new run of the baseline's build may fall: factor × spread. */
  bound?: number;
  /** How far from the baseline (in the metric's unit) a change must be to count: the band, the bound, the resolution. */
  tolerance?: number;
  samples: { baseline: number; candidate: number };
  verdict: Verdict;
}

export interface CompareOptions {
  /**
   * Practical-significance bands by `metric.stat`, `stat` or `metric`
   * (`ttft_ms.p99`, `p99`, `error_rate`), most specific first: relative for
   * latencies and tokens/s (0.2 = 20%), absolute for error_rate (0.01 = 1 point) and goodput_pct (points).
   */
  bands?: Record<string, number>;
  /** CI level; default 0.95. */
  confidence?: number;
  /** Significance level of the distribution tests; default 0.01. */
  alpha?: number;
  /** Bootstrap resamples; default 400. */
  resamples?: number;
  /** Values per sample kept (deterministic subsample above it); default 4000. */
  maxSamples?: number;
  /**
   * Rolling baseline: a fixed factor k for median ± k·spread. Default: the
   * prediction factor for a new run from the number of baseline runs at the
   * level 1 − familyAlpha ÷ rows (analysis/compare-stats predictionFactor).
   */
  k?: number;
  /**
   * Rolling baseline: the chance, when the candidate is one more run of the
   * baseline's build, that any row of the comparison is called a regression or
   * an improvement by the spread alone (Bonferroni over the rows); default 0.05.
   */
  familyAlpha?: number;
  /**
   * A latency change smaller than this (ms) is never practically significant;
   * default 1. The comparison raises it to the generator's own event-loop delay
   * (p99) when the runs report one: a smaller difference cannot be told from the generator's.
   */
  minDeltaMs?: number;
  seed?: number;
}

export interface Comparison {
  schema: 'tokenstorm.compare/v1';
  mode: 'single' | 'rolling';
  baseline: string[];
  candidate: string;
  verdict: 'regression' | 'improvement' | 'no significant change';
  /** The smallest latency change judged (ms): `minDeltaMs`, or the generator's event-loop delay p99 when larger. */
  resolutionMs: number;
  /** Why a verdict may mislead: a run whose generator was limited (its latencies include the generator's delay). */
  warnings: string[];
  rows: CompareRow[];
  options: Required<Omit<CompareOptions, 'bands'>> & { bands: Record<string, number> };
}

export const DEFAULT_BANDS: Readonly<Record<string, number>> = {
  p50: 0.1,
  p90: 0.15,
  p95: 0.15,
  p99: 0.2,
  output_tokens_per_s: 0.1,
  error_rate: 0.01,
  goodput_pct: 5,
};

const LATENCY_METRICS = ['ttft_ms', 'itl_ms', 'tpot_ms', 'e2e_ms'] as const;
const PERCENTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
] as const;
/** Fewer values than this beyond a percentile, and it is not judged. */
const MIN_TAIL = 3;
const MIN_WINDOWS = 5;

/** What differs between two runs' identities (test name, target, load); empty when comparable. */
export function identityDifferences(
  a: CompareIdentity | undefined,
  b: CompareIdentity | undefined,
): string[] {
  if (!a || !b) return [];
  const out: string[] = [];
  if (a.test !== b.test) out.push(`test name ${JSON.stringify(a.test)} vs ${JSON.stringify(b.test)}`);
  if (a.target !== b.target) out.push(`target ${JSON.stringify(a.target)} vs ${JSON.stringify(b.target)}`);
  const la = canonical(a.load);
  const lb = canonical(b.load);
  if (la !== lb) out.push(`load ${la} vs ${lb}`);
  return out;
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : value,
  );
}

function bandFor(bands: Record<string, number>, metric: string, stat: string): number {
  return (
    bands[`${metric}.${stat}`] ??
    bands[stat] ??
    bands[metric] ??
    DEFAULT_BANDS[stat] ??
    DEFAULT_BANDS[metric] ??
    0.1
  );
}

function valuesOf(
  requests: readonly CompareRequest[],
  scenario: string,
  metric: (typeof LATENCY_METRICS)[number],
) {
  const out: number[] = [];
  for (const r of requests) {
    if (r.outcome !== 'ok' || (scenario !== 'all' && r.scenario !== scenario)) continue;
    if (metric === 'itl_ms') {
      if (r.itlMs) for (const v of r.itlMs) out.push(v);
      continue;
    }
    const v = metric === 'ttft_ms' ? r.ttftMs : metric === 'tpot_ms' ? r.tpotMs : r.e2eMs;
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** Compares a candidate with one baseline run, or with several (a rolling baseline). */
export function compareRuns(
  baseline: CompareRun | readonly CompareRun[],
  candidate: CompareRun,
  options: CompareOptions = {},
): Comparison {
  const baselines = Array.isArray(baseline) ? (baseline as CompareRun[]) : [baseline as CompareRun];
  if (baselines.length === 0) throw new Error('compareRuns: no baseline run');
  const opts = {
    confidence: options.confidence ?? 0.95,
    alpha: options.alpha ?? 0.01,
    resamples: options.resamples ?? 400,
    maxSamples: options.maxSamples ?? 4000,
    k: options.k ?? Number.NaN,
    familyAlpha: options.familyAlpha ?? 0.05,
    minDeltaMs: options.minDeltaMs ?? 1,
    seed: options.seed ?? 1,
    bands: { ...(options.bands ?? {}) },
  };
  const mode = baselines.length === 1 ? 'single' : 'rolling';
  const scenarioNames = new Set<string>();
  for (const run of [...baselines, candidate])
    for (const s of Object.keys(run.summary.scenarios)) scenarioNames.add(s);
  const groups = ['all', ...(scenarioNames.size > 1 ? [...scenarioNames].sort() : [])];
  const hasSlo = [...baselines, candidate].some((r) => Object.keys(r.summary.slo ?? {}).length > 0);

  const loopDelay = (r: CompareRun) => r.summary.generator?.event_loop_delay_p99_ms ?? 0;
  const resolutionMs = Math.max(
    opts.minDeltaMs,
    loopDelay(candidate),
    medianAndMad(baselines.map(loopDelay)).median,
  );
  const judged = { ...opts, minDeltaMs: resolutionMs };
  const rows: CompareRow[] = [];
  // Rolling rows: judged once the number of rows (the family) is known.
  const pending: Pending[] = [];
  let stream = 0;
  for (const scenario of groups) {
    for (const metric of LATENCY_METRICS) {
      const seed = deriveSeed(opts.seed, stream++);
      const cand = prepareSample(valuesOf(candidate.requests, scenario, metric), opts.maxSamples);
      const bases = baselines.map((b) =>
        prepareSample(valuesOf(b.requests, scenario, metric), opts.maxSamples),
      );
      if (cand.length === 0 && bases.every((b) => b.length === 0)) continue;
      rows.push(
        ...(mode === 'single'
          ? latencySingle(scenario, metric, bases[0] as Float64Array, cand, seed, judged)
          : latencyRolling(scenario, metric, bases, cand, seed, judged, pending)),
      );
    }
    const pick = (run: CompareRun) => (scenario === 'all' ? run.summary : run.summary.scenarios[scenario]);
    const errorCounts = (run: CompareRun) => {
      const s = pick(run);
      if (!s) return undefined;
      const n = s.counts.requests - s.counts.cancelled;
      return { x: s.counts.errors, n };
    };
    rows.push(
      proportionRow(
        scenario,
        'error_rate',
        'higher',
        baselines.map(errorCounts),
        errorCounts(candidate),
        1,
        opts,
        pending,
      ),
    );
    if (hasSlo) {
      const goodCounts = (run: CompareRun) => {
        const s = pick(run);
        if (!s) return undefined;
        const n = s.counts.requests - s.counts.cancelled;
        return { x: Math.round((s.rates.goodput_pct / 100) * n), n };
      };
      rows.push(
        proportionRow(
          scenario,
          'goodput_pct',
          'lower',
          baselines.map(goodCounts),
          goodCounts(candidate),
          100,
          opts,
          pending,
        ),
      );
    }
    if (scenario === 'all') rows.push(tokensRow(baselines, candidate, opts, pending));
  }
  // One level per row such that a run of the baseline's own build is called a
  // regression (or improvement) by any row with at most familyAlpha chance.
  const level = 1 - opts.familyAlpha / Math.max(1, rows.length);
  for (const p of pending) {
    const factor = options.k ?? predictionFactor(p.runs, level);
    const row = p.row;
    row.bound = (row.spread ?? 0) > 0 ? factor * (row.spread as number) : 0;
    row.tolerance = Math.max(row.bound, p.floor);
    row.verdict = judge(row.worse, row.delta, row.tolerance, row.ci, true);
  }
  const verdict = rows.some((r) => r.verdict === 'regression')
    ? 'regression'
    : rows.some((r) => r.verdict === 'improvement')
      ? 'improvement'
      : 'no significant change';
  return {
    schema: 'tokenstorm.compare/v1',
    mode,
    baseline: baselines.map((b) => b.label),
    candidate: candidate.label,
    verdict,
    resolutionMs,
    warnings: [...baselines, candidate]
      .filter((r) => r.summary.generator?.limited)
      .map(
        (r) =>
          `${r.label}: the generator may have limited this run (${(r.summary.generator?.reasons ?? []).join('; ')}); a latency difference may be the machine's, not the target's`,
      ),
    rows,
    options: {
      ...opts,
      k: options.k ?? (mode === 'rolling' ? predictionFactor(baselines.length, level) : Number.NaN),
    },
  };
}

type Opts = Comparison['options'];

/** A rolling row waiting for its tolerance: the band or resolution below it, and how many baseline runs gave its spread. */
interface Pending {
  row: CompareRow;
  floor: number;
  runs: number;
}

/** regression / improvement when the delta is beyond `tolerance` (worse / better side) and its CI excludes 0 on that side. */
function judge(
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

function latencySingle(
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

function latencyRolling(
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

function proportionRow(
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

/** Output tokens per second of each full window (the last, partial one left out). */
function windowRates(run: CompareRun): number[] {
  const w = run.summary.windows ?? [];
  const out: number[] = [];
  for (let i = 0; i + 1 < w.length; i++) {
    const width = (w[i + 1] as { start_s: number }).start_s - (w[i] as { start_s: number }).start_s;
    if (width > 0) out.push((w[i] as { output_tokens: number }).output_tokens / width);
  }
  return out;
}

function meanVar(v: number[]): { mean: number; variance: number } {
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  const variance = v.length > 1 ? v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1) : 0;
  return { mean, variance };
}

function tokensRow(
  baselines: CompareRun[],
  candidate: CompareRun,
  opts: Opts,
  pending: Pending[],
): CompareRow {
  const band = bandFor(opts.bands, 'output_tokens_per_s', 'value');
  const z = zFor(opts.confidence);
  const c = candidate.summary.rates.output_tokens_per_s;
  const cw = windowRates(candidate);
  const base = {
    scenario: 'all',
    metric: 'output_tokens_per_s' as const,
    stat: 'value',
    worse: 'lower' as const,
    band: { value: band, kind: 'relative' as const },
  };
  if (baselines.length === 1) {
    const b = (baselines[0] as CompareRun).summary.rates.output_tokens_per_s;
    const bw = windowRates(baselines[0] as CompareRun);
    const samples = { baseline: bw.length, candidate: cw.length };
    if (bw.length < MIN_WINDOWS || cw.length < MIN_WINDOWS) {
      return {
        ...base,
        baseline: b,
        candidate: c,
        delta: c - b,
        relative: b ? (c - b) / b : null,
        ci: null,
        samples,
        verdict: 'insufficient data',
      };
    }
    // Welch's z on the per-second rates: the CI of the difference of means.
    const mb = meanVar(bw);
    const mc = meanVar(cw);
    const se = Math.sqrt(mb.variance / bw.length + mc.variance / cw.length);
    const d = c - b;
    const ci = { low: d - z * se, high: d + z * se };
    const p = twoSidedP(se > 0 ? (mc.mean - mb.mean) / se : 0);
    return {
      ...base,
      baseline: b,
      candidate: c,
      delta: d,
      relative: b ? d / b : null,
      ci,
      test: { name: 'welch', p },
      samples,
      verdict: judge('lower', d, band * Math.abs(b), ci, p < opts.alpha),
    };
  }
  const { median, spread } = baselineSpread(baselines.map((r) => r.summary.rates.output_tokens_per_s));
  const samples = { baseline: baselines.length, candidate: cw.length };
  const floor = band * Math.abs(median);
  if (cw.length < MIN_WINDOWS) {
    return {
      ...base,
      baseline: median,
      candidate: c,
      delta: c - median,
      relative: median ? (c - median) / median : null,
      ci: null,
      spread,
      tolerance: floor,
      samples,
      verdict: 'insufficient data',
    };
  }
  const mc = meanVar(cw);
  const half = z * Math.sqrt(mc.variance / cw.length);
  const d = c - median;
  const ci = { low: d - half, high: d + half };
  const row: CompareRow = {
    ...base,
    baseline: median,
    candidate: c,
    delta: d,
    relative: median ? d / median : null,
    ci,
    spread,
    tolerance: floor,
    samples,
    verdict: 'insufficient data',
  };
  pending.push({ row, floor, runs: baselines.length });
  return row;
}

function zFor(confidence: number): number {
  return -inverseNormalTail((1 - confidence) / 2);
}

const RATE_METRICS = ['error_rate', 'goodput_pct', 'output_tokens_per_s'] as const;

/**
 * Whether `name` names compared figures, as `--band` and a test's
 * `compare.fail_on` write them: `metric.stat` (`ttft_ms.p99`), `stat` (`p99`:
 * every latency's) or `metric` (`ttft_ms`: each of its percentiles;
 * `error_rate`, `goodput_pct`, `output_tokens_per_s`).
 */
export function isCompareFigure(name: string): boolean {
  const stats = PERCENTILES.map(([s]) => s as string);
  if ((RATE_METRICS as readonly string[]).includes(name)) return true;
  if ((LATENCY_METRICS as readonly string[]).includes(name) || stats.includes(name)) return true;
  const [metric, stat, ...rest] = name.split('.');
  return (
    rest.length === 0 &&
    (LATENCY_METRICS as readonly string[]).includes(metric as string) &&
    stats.includes(stat as string)
  );
}

/** What a figure name may be, for messages. */
export const COMPARE_FIGURE_HELP =
  'metric.stat (e.g. ttft_ms.p99), a percentile (p50, p90, p95, p99), a latency (ttft_ms, itl_ms, tpot_ms, e2e_ms), error_rate, goodput_pct or output_tokens_per_s';

/** Whether a row is one of the figures `name` (see {@link isCompareFigure}; `regression`: every row). */
export function rowMatches(row: CompareRow, name: string): boolean {
  return (
    name === 'regression' ||
    name === row.metric ||
    (row.stat !== 'value' && (name === row.stat || name === `${row.metric}.${row.stat}`))
  );
}

/** The rows that regressed among the figures `failOn` names (any scenario), as `scenario metric.stat`. */
export function failingFigures(comparison: Comparison, failOn: readonly string[]): string[] {
  return comparison.rows
    .filter((r) => r.verdict === 'regression' && failOn.some((n) => rowMatches(r, n)))
    .map((r) => `${r.scenario} ${r.stat === 'value' ? r.metric : `${r.metric}.${r.stat}`}`);
}

/**
 * `summary.json` → `compare`: how `tokenstorm run` judged the run against the
 * baseline its test's `compare:` names.
 */
export interface RunComparison {
  /** As the test wrote it: `rolling` or a baseline name. */
  baseline: string;
  /**
   * `judged`: there is a verdict; `collecting`: a rolling baseline with too few
   * runs yet (never fails); `unavailable`: no history, no such baseline, or
   * runs not comparable (`reason`; never fails).
   */
  status: 'judged' | 'collecting' | 'unavailable';
  /** The history ids of the baseline runs. */
  baseline_runs: number[];
  /** Rolling baseline below its minimum: runs so far and runs needed. */
  collecting?: { have: number; need: number };
  reason?: string;
  fail_on: string[];
  /** The `fail_on` figures that regressed (`scenario metric.stat`): non-empty fails the run. */
  failed: string[];
  verdict?: Comparison['verdict'];
  comparison?: Comparison;
}
