import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from './aggregator.js';

const stages = [
  { name: 'light', startMs: 0, endMs: 1000, target: 1 },
  { name: 'heavy', startMs: 1000, endMs: 2000, target: 8 },
];

/** Light stage: all `cheap`; heavy stage: one in four `cheap`. A request of `dear` costs ten times more. */
function records(): RequestRecord[] {
  return Array.from({ length: 40 }, (_, i) => {
    const heavy = i >= 20;
    const model = heavy && i % 4 !== 0 ? 'dear' : 'cheap';
    return recordOf({
      id: i,
      iteration: i,
      scheduled: heavy ? 1000 + i : i * 10,
      sent: heavy ? 1000 + i : i * 10,
      end: (heavy ? 1000 + i : i * 10) + 50,
      ttftMs: heavy ? 80 : 20,
      e2eMs: 50,
      outputTokens: 10,
      model,
      costUsd: model === 'dear' ? 0.01 : 0.001,
    });
  });
}

describe('aggregates by model', () => {
  it('gives the same breakdown whether the records were added in one place or merged from two', () => {
    const one = new RunAggregator({ stages });
    for (const r of records()) one.add(r);
    const a = new RunAggregator({ stages });
    const b = new RunAggregator({ stages });
    records().forEach((r, i) => {
      (i % 3 === 0 ? a : b).add(r);
    });
    const merged = new RunAggregator({ stages });
    merged.merge(structuredClone(b.encode()));
    merged.merge(structuredClone(a.encode()));
    const meta = { name: 't', startedAt: '', durationS: 2 };
    const want = one.snapshot(meta);
    const got = merged.snapshot(meta);
    expect(got.models).toEqual(want.models);
    expect(got.model_stages).toEqual(want.model_stages);
    // The shift: all cheap under light load, three in four dear under heavy.
    expect(want.model_stages?.map((s) => s.share)).toEqual([{ cheap: 1 }, { cheap: 0.25, dear: 0.75 }]);
    expect(want.model_stages?.[1]?.cost_usd).toEqual({ cheap: 0.005, dear: 0.15 });
    expect(Object.keys(want.models ?? {})).toEqual(['cheap', 'dear']);
    expect(want.models?.cheap).toMatchObject({ share: 0.625, priced: 25, cost_usd: 0.025 });
    expect(want.models?.dear?.metrics.ttft_ms?.p50).toBe(80);
    expect(want.metrics.cost_usd?.count).toBe(40);
  });

  it('leaves models out of a run whose records have none', () => {
    const agg = new RunAggregator();
    agg.add(recordOf({ kind: 'http' }));
    const core = agg.snapshot({ name: 't', startedAt: '', durationS: 1 });
    expect(core.models).toBeUndefined();
    expect(core.model_stages).toBeUndefined();
    expect(core.metrics.cost_usd).toBeUndefined();
  });
});
