import { describe, expect, it } from 'vitest';
import { type CheckSummary, graduation, runChecks } from './graduation.js';

const threshold = (passed: boolean, blocking = true) => ({
  metric: 'ttft_ms',
  expr: 'p99 < 500',
  blocking,
  value: 1,
  passed,
});

function summary(
  passed: boolean,
  anomalies: string[] = [],
  compare?: { verdict: string; rows: [string, string, string][]; failOn?: string[] },
): CheckSummary {
  return {
    thresholds: [threshold(passed)],
    anomalies: anomalies.map((metric) => ({ metric, generator_limited: false })),
    ...(compare === undefined
      ? {}
      : {
          compare: {
            status: 'judged' as const,
            verdict: compare.verdict as 'regression',
            fail_on: compare.failOn ?? [],
            comparison: {
              rows: compare.rows.map(([metric, stat, verdict]) => ({
                scenario: 'all',
                metric,
                stat,
                verdict,
              })),
            },
          },
        }),
  };
}

describe('graduation', () => {
  it('skips runs with nothing to agree with: no blocking threshold, or incomplete', () => {
    expect(runChecks({ thresholds: [] })).toBeUndefined();
    expect(runChecks({ thresholds: [threshold(false, false)] })).toBeUndefined();
    expect(runChecks({ complete: false, thresholds: [threshold(true)] })).toBeUndefined();
  });

  it("does not count an anomaly the generator's lateness explains as an alarm", () => {
    const checks = runChecks({
      thresholds: [threshold(true)],
      anomalies: [{ metric: 'ttft_ms.p99', generator_limited: true }],
    });
    expect(checks?.checks.find((c) => c.check === 'anomaly ttft_ms.p99')?.fired).toBe(false);
    expect(checks?.checks.find((c) => c.check === 'anomalies')?.fired).toBe(false);
  });

  it('counts agreement, false alarms and misses per check, and suggests promotion at >= 95% of >= 20 runs', () => {
    // 19 quiet passing runs, one failing run the p99 anomaly caught, one passing run it flagged.
    const runs = [
      ...Array.from({ length: 19 }, () => summary(true)),
      summary(false, ['ttft_ms.p99']),
      summary(true, ['ttft_ms.p99']),
    ].map((s) => runChecks(s));
    const result = graduation(runs.filter((r) => r !== undefined));
    const p99 = result.find((c) => c.check === 'anomaly ttft_ms.p99');
    expect(p99).toMatchObject({ runs: 21, agreed: 20, false_alarms: 1, misses: 0 });
    expect(p99?.rate).toBeCloseTo(20 / 21, 10);
    expect(p99?.suggestion).toBe('promote to blocking');
    // The error-rate series never fired, so it missed the failing run: 20 of 21 too.
    expect(result.find((c) => c.check === 'anomaly error_rate')).toMatchObject({
      agreed: 20,
      misses: 1,
      suggestion: 'promote to blocking',
    });
    // 19 runs: not yet.
    expect(graduation(runs.slice(0, 19).filter((r) => r !== undefined))[0]?.suggestion).toBe('collecting');
    // Two disagreements in 21: 90%, keep advisory.
    const worse = graduation(
      [...runs, runChecks(summary(true, ['ttft_ms.p99']))].filter((r) => r !== undefined),
    );
    expect(worse.find((c) => c.check === 'anomaly ttft_ms.p99')?.suggestion).toBe('keep advisory');
  });

  it('follows each comparison figure; a fail_on figure is already blocking', () => {
    const runs = Array.from({ length: 20 }, (_, i) =>
      summary(i !== 0, [], {
        verdict: i === 0 ? 'regression' : 'no significant change',
        rows: [
          ['ttft_ms', 'p99', i === 0 ? 'regression' : 'no significant change'],
          ['e2e_ms', 'p99', 'insufficient data'],
          ['error_rate', 'value', 'no significant change'],
        ],
        failOn: ['error_rate'],
      }),
    ).map((s) => runChecks(s));
    const result = graduation(runs.filter((r) => r !== undefined));
    expect(result.find((c) => c.check === 'compare')).toMatchObject({
      runs: 20,
      agreed: 20,
      suggestion: 'promote to blocking',
    });
    expect(result.find((c) => c.check === 'compare ttft_ms.p99')).toMatchObject({
      agreed: 20,
      suggestion: 'promote to blocking',
    });
    expect(result.find((c) => c.check === 'compare error_rate')?.suggestion).toBe('already blocking');
    // Insufficient data is not an observation.
    expect(result.find((c) => c.check === 'compare e2e_ms.p99')).toBeUndefined();
  });
});
