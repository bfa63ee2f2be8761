import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../core/index.js';
import { nextSweepStep, type SweepResult } from '../load/index.js';
import { RunAggregator, type StageSummary, stepVerdict } from '../metrics/index.js';
import { analyseSweep, kneeOf } from './sweep-analysis.js';

/** A synthetic step: TTFT from a queue that builds past `capacity`, TPOT flat, errors from `errorsFrom`. */
function step(offered: number, capacity: number, errorsFrom = Number.POSITIVE_INFINITY): StageSummary {
  const agg = new RunAggregator({ slos: [{ metric: 'ttft_ms', maxMs: 200 }] });
  agg.addStage({ name: 's', startMs: 0, endMs: 10_000 });
  const n = Math.round(offered * 10);
  for (let i = 0; i < n; i++) {
    const wait = offered > capacity ? ((offered - capacity) / capacity) * i * 10 : 0;
    const failed = offered >= errorsFrom && i % 5 === 0;
    const r: RequestRecord = {
      id: i,
      scenario: 's',
      step: 0,
      stepName: 'chat',
      kind: 'chat',
      vu: 0,
      iteration: i,
      outcome: failed ? 'error' : 'ok',
      ...(failed ? { error: 'http_5xx' as const } : {}),
      scheduled: (i * 10_000) / n,
      sent: (i * 10_000) / n,
      end: (i * 10_000) / n + 100 + wait,
      schedulingLagMs: 0,
      ttftMs: 10 + wait,
      e2eMs: 100 + wait,
      tpotMs: 10,
      outputTokens: 10,
    };
    agg.add(r);
  }
  return agg.snapshot({ name: 't', startedAt: '', durationS: 10 }).stages?.[0] as StageSummary;
}

/** A stage summary as the analysis takes it. */
function measured(s: StageSummary) {
  return { measurement: s, flow: s.flow };
}

describe('capacity sweep', () => {
  it('searches coarse then bisects, never above a failing load', () => {
    const capacity = 42;
    const config = { start: 10, max: 500, factor: 2, refine: 3, integer: false };
    const results: SweepResult[] = [];
    for (let i = 0; i < 20; i++) {
      const next = nextSweepStep(config, results);
      if (next === undefined) break;
      results.push({ offered: next.offered, passed: next.offered <= capacity });
    }
    expect(results.map((r) => r.offered)).toEqual([10, 20, 40, 80, 60, 50, 45]);
    expect(
      nextSweepStep({ ...config, max: 30 }, [
        { offered: 10, passed: true },
        { offered: 20, passed: true },
      ]),
    ).toEqual({
      offered: 30,
      phase: 'coarse',
    });
    expect(nextSweepStep({ ...config, max: 30 }, [{ offered: 30, passed: true }])).toBeUndefined();
  });

  it('judges a step by SLO attainment: dropped and failed requests are not good', () => {
    expect(stepVerdict(step(30, 40)).passed).toBe(true);
    const over = stepVerdict(step(60, 40));
    expect(over.passed).toBe(false);
    expect(over.attainment).toBeLessThan(0.9);
  });

  it('finds capacity, the knee and TTFT as what degraded first on a queueing curve', () => {
    const offered = [10, 20, 40, 45, 50, 80];
    const a = analyseSweep(
      offered.map((o, i) => ({
        name: `s${i}`,
        offered: o,
        start: i * 10,
        end: i * 10 + 10,
        ...measured(step(o, 42)),
      })),
      { slos: [{ metric: 'ttft_ms', maxMs: 200 }] },
    );
    expect(a.capacity).toBe(40);
    expect(a.capacityBound).toBe('measured');
    expect(a.degradedFirst).toBe('ttft');
    expect(a.knee).toBe(45);
    expect(a.curve.map((p) => p.offered)).toEqual(offered);
    expect(a.curve[5]?.ttft_ms.p90).toBeGreaterThan(1000);
    // Below capacity the step completes what it is offered; past it, offered climbs and throughput does not.
    expect(a.curve[0]).toMatchObject({ offered_per_s: 10, sent_per_s: 10 });
    expect(a.curve[0]?.throughput_per_s).toBeCloseTo(10, 0);
    expect(a.curve[5]).toMatchObject({ offered_per_s: 80, sent_per_s: 80 });
    expect(a.curve[5]?.throughput_per_s).toBeLessThan(50);
    expect(a.curve[5]?.ok_per_s).toBe(a.curve[5]?.throughput_per_s);
    expect(a.saturationThroughput).toBe(Math.max(...a.curve.map((p) => p.throughput_per_s)));
    expect(a.saturationThroughput).toBeLessThan(50);
  });

  it('names errors first when the service fails before it queues', () => {
    const a = analyseSweep(
      [10, 20, 40, 80].map((o, i) => ({
        name: `s${i}`,
        offered: o,
        start: i,
        end: i + 1,
        ...measured(step(o, 60, 20)),
      })),
      { slos: [{ metric: 'ttft_ms', maxMs: 200 }] },
    );
    expect(a.degradedFirst).toBe('errors');
    expect(a.capacity).toBe(10);
  });

  it('has no knee on a straight line', () => {
    expect(kneeOf([1, 2, 3, 4].map((x) => ({ x, y: 2 * x })))).toBeNull();
    expect(kneeOf([1, 2, 3, 4].map((x) => ({ x, y: x < 4 ? 1 : 100 })))).toBe(3);
  });
});
