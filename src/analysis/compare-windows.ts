/**
 * @module analysis/compare-windows
 * The output tokens/s row of `tokenstorm compare`, judged on each run's
 * per-window rates (summary `windows`): against one baseline run Welch's z on
 * the window rates, against several the candidate's window CI around the
 * baseline runs' median (pending its prediction bound, as analysis/compare-rows).
 * Apart because it reads a time series, not per-request values.
 */
import { bandFor, judge, type Opts, type Pending, zFor } from './compare-rows.js';
import { baselineSpread, twoSidedP } from './compare-stats.js';
import type { CompareRow, CompareRun } from './compare-types.js';

const MIN_WINDOWS = 5;

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

/** The `all` scenario's output_tokens_per_s row: one baseline run (Welch) or several (pending, in `pending`). */
export function tokensRow(
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
