import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import { capacityPlan } from './capacity-plan.js';
import { costLinearity, type StageCost } from './cost.js';
import type { SweepAnalysis } from './sweep-analysis.js';

const stage = (name: string, load: number, perRequest: number, priced = 20): StageCost => ({
  stage: name,
  load,
  requests: priced,
  priced,
  total_usd: perRequest * priced,
  per_request_usd: perRequest,
});

describe('cost linearity', () => {
  it('flags cost per request that grows from the lightest stage to the heaviest', () => {
    const v = costLinearity([stage('peak', 8, 0.0003), stage('light', 1, 0.0001)]);
    expect(v.verdict).toBe('grows');
    expect(v.ratio).toBe(3);
    expect(v.by_load.map((s) => s.stage)).toEqual(['light', 'peak']);
  });

  it('calls cost within the tolerance flat, and says unknown without two comparable stages', () => {
    expect(costLinearity([stage('a', 1, 0.0001), stage('b', 4, 0.000105)]).verdict).toBe('flat');
    expect(costLinearity([stage('a', 1, 0.0001)]).verdict).toBe('unknown');
    // A stage with too few priced requests does not take part.
    expect(costLinearity([stage('a', 1, 0.0001), stage('b', 4, 0.001, 2)]).verdict).toBe('unknown');
  });
});

describe('capacity plan', () => {
  it("plans replicas with headroom from the plan's own replica capacity, and costs an hour and 1,000 requests", () => {
    // 100 req/s + 20 % = 120 req/s over 35 req/s a replica: 4 replicas (3.43 rounded up), $2.50 an hour each.
    const p = capacityPlan({
      plan: { target_rps: 100, headroom: 0.2, replica_cost_per_hour: 2.5, replica_rps: 35 },
      goodputPerS: 10,
      costPerRequestUsd: 0.0004,
    });
    expect(p.replicas).toBe(4);
    expect(p.provisioned_rps).toBe(120);
    expect(p.replica_rps_from).toBe('plan');
    expect(p.utilisation).toBeCloseTo(100 / 140, 4);
    expect(p.cost_per_hour_usd.replicas).toBe(10);
    // Tokens: $0.0004 × 360,000 requests an hour = $144.
    expect(p.cost_per_hour_usd.tokens).toBe(144);
    expect(p.cost_per_hour_usd.total).toBe(154);
    // Per 1,000 requests: $10 / 360 + $0.40.
    expect(p.cost_per_1000_requests_usd.replicas).toBeCloseTo(10 / 360, 6);
    expect(p.cost_per_1000_requests_usd.tokens).toBe(0.4);
  });

  it("takes a sweep's SLO capacity before the run's goodput, and says when there is neither", () => {
    const sweep = {
      unit: 'req/s',
      capacity: 12,
      capacityBound: 'measured',
      saturationThroughput: 20,
    } as SweepAnalysis;
    const fromSweep = capacityPlan({ plan: { target_rps: 50, headroom: 0 }, sweep, goodputPerS: 8 });
    expect(fromSweep.replica_rps_from).toBe('sweep_capacity');
    expect(fromSweep.replicas).toBe(5);
    expect(fromSweep.cost_per_hour_usd.replicas).toBeNull();
    const fromGoodput = capacityPlan({ plan: { target_rps: 50, headroom: 0.5 }, goodputPerS: 25 });
    expect(fromGoodput.replica_rps_from).toBe('goodput');
    expect(fromGoodput.replicas).toBe(3);
    const none = capacityPlan({ plan: { target_rps: 50, headroom: 0.5 }, goodputPerS: 0 });
    expect(none.replicas).toBeNull();
    expect(none.notes.join(' ')).toMatch(/replica_rps/);
  });

  it('never rounds an exact fit up to one more replica', () => {
    const p = capacityPlan({ plan: { target_rps: 30, headroom: 0.1, replica_rps: 11 }, goodputPerS: 0 });
    expect(p.replicas).toBe(3);
  });
});

describe('cost thresholds', () => {
  it('gates on cost_usd per request and cost_total_usd over the run, by scenario too', async () => {
    const { RunAggregator } = await import('../metrics/index.js');
    const { createThresholdSource } = await import('./threshold-source.js');
    const { evaluateThresholds } = await import('./thresholds.js');
    const agg = new RunAggregator();
    const costs = [0.001, 0.002, 0.003, 0.004];
    for (const [i, costUsd] of costs.entries()) {
      agg.add(
        recordOf({
          id: i,
          scenario: i < 2 ? 'a' : 'b',
          iteration: i,
          scheduled: i,
          sent: i,
          end: i + 1,
          model: 'm',
          costUsd,
        }),
      );
    }
    const core = agg.snapshot({ name: 't', startedAt: '', durationS: 1, scenarios: ['a', 'b'] });
    const results = evaluateThresholds(
      {
        cost_usd: ['max < 0.0045', 'avg < 0.002'],
        cost_total_usd: ['< 0.01'],
        'cost_total_usd{scenario:a}': ['< 0.0031'],
      },
      createThresholdSource(agg, core),
    );
    expect(results.map((r) => [r.metric, r.expr, r.value, r.passed])).toEqual([
      ['cost_usd', 'max < 0.0045', 0.004, true],
      ['cost_usd', 'avg < 0.002', 0.0025, false],
      ['cost_total_usd', '< 0.01', 0.01, false],
      ['cost_total_usd{scenario:a}', '< 0.0031', 0.003, true],
    ]);
  });
});
