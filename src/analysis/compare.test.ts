import { describe, expect, it } from 'vitest';
import { mockRun } from '../../test/support/mock-samples.js';
import {
  type CompareRow,
  type CompareRun,
  type Comparison,
  compareRuns,
  failingFigures,
  identityDifferences,
  isCompareFigure,
} from './compare.js';

const profile = (median: number) => ({
  ttft_ms: { dist: 'lognormal' as const, median, sigma: 0.3 },
  itl_ms: { dist: 'lognormal' as const, median: 10, sigma: 0.3 },
  output_tokens: 8,
});
const run = (label: string, seed: number, median = 50, errorRate = 0.01, requests = 1000) =>
  mockRun(label, seed, { profile: profile(median), requests, errorRate });
/** A copy of `r` with every latency scaled by `s`: a run of the same draws, uniformly slower or faster. */
const scaled = (r: CompareRun, label: string, s: number): CompareRun => ({
  ...r,
  label,
  requests: r.requests.map((q) => ({
    ...q,
    ttftMs: q.ttftMs === undefined ? undefined : q.ttftMs * s,
    itlMs: q.itlMs?.map((v) => v * s),
    tpotMs: q.tpotMs === undefined ? undefined : q.tpotMs * s,
    e2eMs: q.e2eMs === undefined ? undefined : q.e2eMs * s,
  })),
});
const row = (c: ReturnType<typeof compareRuns>, metric: string, stat = 'value', scenario = 'all') =>
  c.rows.find((r) => r.metric === metric && r.stat === stat && r.scenario === scenario);

describe('compareRuns', () => {
  it('is reproducible: the same runs give the same comparison', () => {
    const a = run('a', 1);
    const b = run('b', 2, 60);
    expect(compareRuns(a, b)).toEqual(compareRuns(a, b));
  });

  it('a much faster candidate is an improvement; a band per metric.stat overrides the default', () => {
    const c = compareRuns(run('a', 1), run('b', 2, 25));
    expect(c.verdict).toBe('improvement');
    expect(row(c, 'ttft_ms', 'p50')?.verdict).toBe('improvement');
    const wide = compareRuns(run('a', 1), run('b', 2, 25), { bands: { 'ttft_ms.p50': 0.9 } });
    expect(row(wide, 'ttft_ms', 'p50')?.verdict).toBe('no significant change');
    expect(row(wide, 'ttft_ms', 'p99')?.verdict).toBe('improvement');
  });

  it('judges error rate in points: 1% → 6% is a regression, 1% → 1.5% is not', () => {
    const worse = compareRuns(run('a', 1), run('b', 2, 50, 0.06));
    expect(row(worse, 'error_rate')).toMatchObject({
      verdict: 'regression',
      test: { name: 'two-proportion' },
    });
    expect(worse.verdict).toBe('regression');
    const slight = compareRuns(run('a', 1), run('b', 2, 50, 0.015));
    expect(row(slight, 'error_rate')?.verdict).toBe('no significant change');
  });

  it('says "insufficient data" for a p99 of too few requests instead of guessing', () => {
    const c = compareRuns(run('a', 1, 50, 0, 100), run('b', 2, 500, 0, 100));
    expect(row(c, 'ttft_ms', 'p99')?.verdict).toBe('insufficient data');
    expect(row(c, 'ttft_ms', 'p50')?.verdict).toBe('regression');
  });

  it('rolling: the tolerance is the larger of the prediction bound (factor × spread) and the band', () => {
    const bases = [1, 2, 3, 4, 5].map((s) => run(`b${s}`, s));
    const c = compareRuns(bases, run('cand', 9, 80));
    expect(c.mode).toBe('rolling');
    const p50 = row(c, 'ttft_ms', 'p50');
    expect(p50?.verdict).toBe('regression');
    expect(p50?.tolerance).toBeGreaterThanOrEqual(0.1 * (p50?.baseline ?? 0));
    expect(p50?.spread).toBeGreaterThan(0);
    expect(p50?.bound).toBeCloseTo(c.options.k * (p50?.spread ?? 0), 10);
    expect(p50?.tolerance).toBe(Math.max(p50?.bound ?? 0, 0.1 * (p50?.baseline ?? 0), c.resolutionMs));
    // A baseline run that is itself far off moves the median, not the verdict.
    const withOutlier = [...bases.slice(0, 4), run('odd', 6, 500)];
    expect(row(compareRuns(withOutlier, run('same', 9)), 'ttft_ms', 'p50')?.verdict).toBe(
      'no significant change',
    );
  });

  it('rolling: a candidate within what five baseline runs vary by is not a regression, though beyond 3·MAD and the band', () => {
    // Five runs of one build whose latencies differ by up to ±9% (every value of run i scaled by s_i):
    // their p50s are 1.00, 1.01, 1.02, 1.10 and 0.92 × one run's, so the MAD (0.01) says far less
    // than the runs do. A sixth run 12% above their median is beyond 3·MAD and the 10% band, but not
    // beyond what five such runs let one expect of a new run.
    const base = run('b', 1, 50, 0);
    const bases = [1, 1.01, 1.02, 1.1, 0.92].map((s, i) => scaled(base, `b${i}`, s));
    const c = compareRuns(bases, scaled(base, 'cand', 1.13));
    const p50 = row(c, 'ttft_ms', 'p50');
    expect(p50?.delta).toBeGreaterThan(0.11 * (p50?.baseline ?? 0));
    expect(p50?.delta).toBeGreaterThan(3 * 1.4826 * 0.01 * (p50?.baseline ?? 0));
    expect(p50?.verdict).toBe('no significant change');
    expect(c.verdict).toBe('no significant change');
    // What keeps it: the bound for a new run from five runs' spread, not the band.
    expect(p50?.bound).toBeGreaterThan(p50?.delta ?? 0);
    expect(c.options.k).toBeGreaterThan(6);
    // One disturbed run among five neither blinds it: a run 30% slower than four steady ones is a regression.
    const steady = [1, 1.005, 0.995, 1.002, 3].map((s, i) => scaled(base, `s${i}`, s));
    expect(row(compareRuns(steady, scaled(base, 'slow', 1.3)), 'ttft_ms', 'p99')?.verdict).toBe('regression');
  });

  it('per scenario rows when there are several scenarios; goodput only with SLOs', () => {
    const twoScenarios = (r: CompareRun, slow: boolean): CompareRun => ({
      ...r,
      summary: {
        ...r.summary,
        scenarios: {
          chat: r.summary.scenarios.chat as CompareRun['summary']['scenarios'][string],
          rag: r.summary.scenarios.chat as CompareRun['summary']['scenarios'][string],
        },
        slo: { ttft_ms: 500 },
      },
      requests: r.requests.map((q, i) =>
        i % 2 === 0
          ? q
          : { ...q, scenario: 'rag', ttftMs: q.ttftMs === undefined ? undefined : q.ttftMs * (slow ? 3 : 1) },
      ),
    });
    const c = compareRuns(twoScenarios(run('a', 1), false), twoScenarios(run('b', 2), true));
    expect(row(c, 'ttft_ms', 'p50', 'rag')?.verdict).toBe('regression');
    expect(row(c, 'ttft_ms', 'p50', 'chat')?.verdict).toBe('no significant change');
    expect(row(c, 'goodput_pct', 'value', 'chat')).toBeDefined();
    expect(row(compareRuns(run('a', 1), run('b', 2)), 'goodput_pct')).toBeUndefined();
  });

  it("warns when a run's generator was limited (its latencies include the generator's delay)", () => {
    const limited = run('busy', 2);
    limited.summary.generator = { limited: true, reasons: ['event loop late in 2 worker-second(s)'] };
    expect(compareRuns(run('a', 1), run('b', 2)).warnings).toEqual([]);
    const [warning, ...rest] = compareRuns(run('a', 1), limited).warnings;
    expect(rest).toEqual([]);
    expect(warning).toContain(
      'busy: the generator may have limited this run (event loop late in 2 worker-second(s))',
    );
  });

  it("never judges a latency change smaller than the generator's own event-loop delay", () => {
    const slower = run('b', 2, 70);
    expect(row(compareRuns(run('a', 1), slower), 'ttft_ms', 'p50')?.verdict).toBe('regression');
    const busy = (r: CompareRun) => {
      r.summary.generator = { event_loop_delay_p99_ms: 40 };
      return r;
    };
    const c = compareRuns(busy(run('a', 1)), busy(run('b', 2, 70)));
    expect(c.resolutionMs).toBe(40);
    expect(row(c, 'ttft_ms', 'p50')).toMatchObject({ verdict: 'no significant change', tolerance: 40 });
  });

  it('names what differs between identities', () => {
    const id = { test: 't', target: 'mock', load: { rate: 10, duration: 2000 } };
    expect(identityDifferences(id, { ...id, load: { duration: 2000, rate: 10 } })).toEqual([]);
    expect(
      identityDifferences(id, { test: 'u', target: 'http://x', load: { rate: 20, duration: 2000 } }),
    ).toEqual([
      'test name "t" vs "u"',
      'target "mock" vs "http://x"',
      'load {"duration":2000,"rate":10} vs {"duration":2000,"rate":20}',
    ]);
  });
});

describe('compare figures (fail_on, --band names)', () => {
  it('accepts metric.stat, a percentile, a latency and the rates; nothing else', () => {
    for (const ok of [
      'ttft_ms.p99',
      'e2e_ms.p50',
      'p95',
      'itl_ms',
      'error_rate',
      'goodput_pct',
      'output_tokens_per_s',
    ]) {
      expect(isCompareFigure(ok), ok).toBe(true);
    }
    for (const bad of [
      'ttft_ms.p98',
      'error_rate.value',
      'p99.ttft_ms',
      'ttft',
      'ttft_ms.p99.x',
      'regression',
    ]) {
      expect(isCompareFigure(bad), bad).toBe(false);
    }
  });

  it('fails only on the named figures that regressed', () => {
    const mk = (
      metric: CompareRow['metric'],
      stat: string,
      verdict: CompareRow['verdict'],
      scenario = 'all',
    ) => ({ scenario, metric, stat, verdict }) as CompareRow;
    const comparison = {
      rows: [
        mk('ttft_ms', 'p99', 'regression'),
        mk('ttft_ms', 'p50', 'no significant change'),
        mk('e2e_ms', 'p90', 'regression', 'chat'),
        mk('error_rate', 'value', 'improvement'),
      ],
    } as Comparison;
    expect(failingFigures(comparison, ['ttft_ms.p99', 'error_rate'])).toEqual(['all ttft_ms.p99']);
    expect(failingFigures(comparison, ['error_rate', 'ttft_ms.p50'])).toEqual([]);
    expect(failingFigures(comparison, ['p90'])).toEqual(['chat e2e_ms.p90']);
    expect(failingFigures(comparison, ['regression'])).toEqual(['all ttft_ms.p99', 'chat e2e_ms.p90']);
  });
});
