import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from './aggregator.js';
import { MAX_KEPT_TEXTS, QualityTally, rankOf } from './quality-tally.js';

function record(id: number): RequestRecord {
  return recordOf({
    id,
    scenario: 's',
    stepName: 'answer',
    vu: 0,
    iteration: id,
    scheduled: id,
    sent: id,
    end: id + 50,
    outputTokens: 10 + (id % 7),
    quality: {
      key: id % 13,
      rougeL: (id % 10) / 10,
      f1: (id % 10) / 10,
      text: `answer ${id}`,
      reference: 'ref',
    },
  });
}

describe('QualityTally', () => {
  it('keeps the same rows and the same texts however the records are split and merged', () => {
    const n = 2 * MAX_KEPT_TEXTS + 500;
    const one = new QualityTally();
    for (let id = 0; id < n; id++) one.add(record(id));

    // Three "workers" each ship deltas of interleaved records, merged in reverse order.
    const parts = [new QualityTally(), new QualityTally(), new QualityTally()];
    for (let id = n - 1; id >= 0; id--) (parts[id % 3] as QualityTally).add(record(id));
    const merged = new QualityTally();
    for (const part of parts.reverse()) merged.merge(structuredClone(part.encode()));

    const a = one.rows();
    const b = merged.rows();
    expect(b).toEqual(a);
    expect(a).toHaveLength(n);
    const kept = a.filter((r) => r.q.text !== undefined);
    expect(kept).toHaveLength(MAX_KEPT_TEXTS);
    // The kept texts are the lowest ranks: spread over the run, not its first records.
    const worstKept = Math.max(...kept.map((r) => rankOf(r.id)));
    expect(a.filter((r) => r.q.text === undefined).every((r) => rankOf(r.id) > worstKept)).toBe(true);
    expect(Math.max(...kept.map((r) => r.id))).toBeGreaterThan(n * 0.9);
    // Scores stay on every row.
    expect(a.every((r) => r.q.rougeL !== undefined && r.outputTokens !== undefined)).toBe(true);
  });

  it('travels in the aggregator state and skips records without a sample', () => {
    const worker = new RunAggregator();
    worker.add(record(1));
    worker.add({ ...record(2), quality: undefined });
    const main = new RunAggregator();
    main.merge(structuredClone(worker.encode()));
    expect(main.qualityRows().map((r) => r.id)).toEqual([1]);
    expect(new RunAggregator().encode().quality).toBeUndefined();
  });
});
