/**
 * @module analysis/compare
 * `tokenstorm compare`: is a candidate run worse than its baseline? For each
 * latency percentile, error rate, goodput and tokens/s (overall and per
 * scenario): the delta, a CI and a verdict. One baseline run: a regression
 * needs statistical and practical significance (a band). Several (rolling):
 * it must lie beyond a prediction bound for one more run of the baseline's
 * build. Pure and seeded. Why the bound: two runs of one build differ by more
 * than the samples inside one run say (docs/design/2026-12-07-compare.md).
 * Here: options, the rows of each scenario (compare-rows, compare-windows),
 * the rolling rows' bound, the verdict and the figure names; the shapes are
 * in compare-types, re-exported.
 */
import { deriveSeed } from '../random/index.js';
import {
  judge,
  LATENCY_METRICS,
  latencyRolling,
  latencySingle,
  PERCENTILES,
  type Pending,
  proportionRow,
} from './compare-rows.js';
import { medianAndMad, predictionFactor, prepareSample } from './compare-stats.js';
import type {
  CompareIdentity,
  CompareOptions,
  CompareRequest,
  CompareRow,
  CompareRun,
  Comparison,
} from './compare-types.js';
import { tokensRow } from './compare-windows.js';

export { DEFAULT_BANDS } from './compare-rows.js';
export type {
  CompareIdentity,
  CompareOptions,
  CompareRequest,
  CompareRow,
  CompareRun,
  CompareSummary,
  Comparison,
  RunComparison,
  Verdict,
} from './compare-types.js';

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
