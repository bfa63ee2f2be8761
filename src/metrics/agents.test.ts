import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from './aggregator.js';

/** A task record: `modelCalls` model calls, one `search` call per tool turn (the last `timeouts` timed out). */
function task(
  id: number,
  scheduled: number,
  modelCalls: number,
  timeouts: number,
  success = true,
): RequestRecord {
  const tools = Array.from({ length: modelCalls - 1 }, (_, i) => ({
    tool: 'search',
    ms: 10 + i,
    outcome: (i >= modelCalls - 1 - timeouts ? 'timeout' : 'ok') as 'ok' | 'timeout',
    attempt: 1,
  }));
  return recordOf({
    id,
    scenario: 's',
    stepName: 'task',
    kind: 'agent',
    iteration: id,
    outcome: success ? 'ok' : 'error',
    scheduled,
    sent: scheduled,
    end: scheduled + 100 * modelCalls,
    e2eMs: 100 * modelCalls,
    agent: {
      steps: modelCalls,
      modelCalls,
      tools,
      end: success ? 'answer' : 'max_steps',
      success,
      inputTokens: 10,
      outputTokens: 5,
    },
  });
}

const stages = [
  { name: 'light', startMs: 0, endMs: 1000, target: 1 },
  { name: 'heavy', startMs: 1000, endMs: 2000, target: 10 },
];
const META = { name: 'agents', startedAt: '2026-01-01T00:00:00.000Z', durationS: 2 };

describe('agent task figures', () => {
  const records = [
    task(1, 10, 3, 0),
    task(2, 500, 3, 0),
    task(3, 1100, 6, 3),
    task(4, 1200, 9, 4, false),
    task(5, 1300, 6, 2),
  ];

  it('count tasks apart from requests, per stage, with the amplification against the lightest stage', () => {
    const agg = new RunAggregator({ stages });
    for (const r of records) agg.add(r);
    const s = agg.snapshot(META);
    expect(s.counts.requests).toBe(0);
    const a = s.agents;
    expect(a).toMatchObject({ tasks: 5, success_rate: 0.8, ends: { answer: 4, max_steps: 1 } });
    expect(a?.model_calls).toMatchObject({ min: 3, max: 9, mean: 5.4 });
    expect(a?.tools.search).toMatchObject({ calls: 22, timeouts: 9, errors: 0, error_rate: 0.4091 });
    expect(a?.stages).toEqual([
      expect.objectContaining({ name: 'light', tasks: 2, model_calls_mean: 3, amplification: 1 }),
      expect.objectContaining({ name: 'heavy', tasks: 3, model_calls_mean: 7, amplification: 2.3333 }),
    ]);
  });

  it('merge exactly: split over two aggregators (as workers are), the same figures', () => {
    const one = new RunAggregator({ stages });
    for (const r of records) one.add(r);
    const a = new RunAggregator({ stages });
    const b = new RunAggregator({ stages });
    for (const [i, r] of records.entries()) (i % 2 === 0 ? a : b).add(r);
    const merged = new RunAggregator({ stages });
    merged.merge(structuredClone(b.encode()));
    merged.merge(structuredClone(a.encode()));
    expect(merged.snapshot(META).agents).toEqual(one.snapshot(META).agents);
  });
});
