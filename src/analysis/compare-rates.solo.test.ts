/**
 * False alarms and detection of `compareRuns` over 20 runs per configuration,
 * each drawn from the mock's own timing code (test/support/mock-samples):
 * 2,000 requests per run (COMPARE_RATE_REQUESTS to change), TTFT lognormal (median 50 ms, σ 0.3), ITL lognormal
 * (median 10 ms, σ 0.3), 8 tokens, 1% errors. Solo: CPU-heavy (~120 comparisons).
 */
import { describe, expect, it } from 'vitest';
import { mockRun } from '../../test/support/mock-samples.js';
import { type CompareRun, type Comparison, compareRuns } from './compare.js';

const RUNS = 20;
const REQUESTS = Number(process.env.COMPARE_RATE_REQUESTS ?? 2000);

function runs(prefix: string, seed0: number, ttftScale: number): CompareRun[] {
  const profile = {
    ttft_ms: { dist: 'lognormal' as const, median: 50 * ttftScale, sigma: 0.3 },
    itl_ms: { dist: 'lognormal' as const, median: 10, sigma: 0.3 },
    output_tokens: 8,
  };
  return Array.from({ length: RUNS }, (_, i) =>
    mockRun(`${prefix}${i}`, seed0 + i, { profile, requests: REQUESTS, errorRate: 0.01 }),
  );
}

const same = runs('same', 1000, 1);
/** Five other runs of the same configuration: the rolling baseline of run i. */
const rolling = (i: number) => Array.from({ length: 5 }, (_, k) => same[(i + 1 + k) % RUNS] as CompareRun);
const ttftP99 = (c: Comparison) =>
  c.rows.find((r) => r.scenario === 'all' && r.metric === 'ttft_ms' && r.stat === 'p99')?.verdict;

function tally(values: (string | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

describe('compare: false alarms and detection over 20 mock runs', () => {
  it('same configuration: "regression" in at most 1 of 20, pairwise and against a rolling baseline', () => {
    const pairwise = same.map((run, i) => compareRuns(same[(i + 1) % RUNS] as CompareRun, run).verdict);
    const rolled = same.map((run, i) => compareRuns(rolling(i), run).verdict);
    console.log('same config, pairwise:', tally(pairwise), 'rolling:', tally(rolled));
    expect(pairwise.filter((v) => v === 'regression').length).toBeLessThanOrEqual(1);
    expect(rolled.filter((v) => v === 'regression').length).toBeLessThanOrEqual(1);
  });

  it('TTFT 30% slower (p99 30% higher): a regression in at least 19 of 20', () => {
    const slow = runs('slow30-', 2000, 1.3);
    const pairwise = slow.map((run, i) => compareRuns(same[i] as CompareRun, run));
    const rolled = slow.map((run, i) => compareRuns(rolling(i), run));
    console.log(
      'TTFT +30%: pairwise p99',
      tally(pairwise.map(ttftP99)),
      'verdict',
      tally(pairwise.map((c) => c.verdict)),
      'rolling p99',
      tally(rolled.map(ttftP99)),
    );
    expect(pairwise.filter((c) => ttftP99(c) === 'regression').length).toBeGreaterThanOrEqual(19);
    expect(pairwise.filter((c) => c.verdict === 'regression').length).toBeGreaterThanOrEqual(19);
    expect(rolled.filter((c) => ttftP99(c) === 'regression').length).toBeGreaterThanOrEqual(19);
  });

  it('TTFT 5% slower: "no significant change" in at least 19 of 20', () => {
    const slow = runs('slow5-', 3000, 1.05);
    const pairwise = slow.map((run, i) => compareRuns(same[i] as CompareRun, run));
    const rolled = slow.map((run, i) => compareRuns(rolling(i), run));
    console.log(
      'TTFT +5%: pairwise p99',
      tally(pairwise.map(ttftP99)),
      'verdict',
      tally(pairwise.map((c) => c.verdict)),
      'rolling p99',
      tally(rolled.map(ttftP99)),
    );
    expect(pairwise.filter((c) => ttftP99(c) === 'no significant change').length).toBeGreaterThanOrEqual(19);
    expect(pairwise.filter((c) => c.verdict !== 'regression').length).toBeGreaterThanOrEqual(19);
    expect(rolled.filter((c) => ttftP99(c) === 'no significant change').length).toBeGreaterThanOrEqual(19);
  });
});
