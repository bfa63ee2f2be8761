/**
 * @module analysis/compare-types
 * The shapes of `tokenstorm compare`: the runs it reads (a summary and
 * per-request values), its options, and the comparison it gives (rows, a
 * verdict) and `summary.json` → `compare`. Types only: the row judgements,
 * the assembly and the CLI all import them, so they live apart from any of
 * them (no import cycle).
 */
import type { Interval } from './compare-stats.js';

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
