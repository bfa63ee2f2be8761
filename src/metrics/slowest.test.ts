import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { distributionOf, PERCENTILE_LADDER } from './distributions.js';
import { MetricHistogram } from './histogram.js';
import { SlowestRequests } from './slowest.js';

function rec(id: number, ms: number, over: Partial<RequestRecord> = {}): RequestRecord {
  return recordOf({ id, iteration: id, sent: 1000, end: 1000 + ms, ...over });
}

describe('SlowestRequests', () => {
  it('keeps the N slowest of any outcome, slowest first, lower id on ties', () => {
    const s = new SlowestRequests(3);
    const ms = [5, 50, 7, 50, 900, 1, 60];
    ms.forEach((m, i) => {
      s.add(rec(i, m, i === 4 ? { outcome: 'error', error: 'timeout', e2eMs: undefined } : {}));
    });
    expect(s.list().map((r) => [r.id, r.duration_ms])).toEqual([
      [4, 900],
      [6, 60],
      [1, 50],
    ]);
    expect(s.list()[0]).toMatchObject({ outcome: 'error', error: 'timeout', sent_s: 1 });
  });

  it('picks the same records whatever order they come in, and merges lists kept elsewhere', () => {
    const records = [40, 70, 70, 70, 10, 70].map((ms, id) => rec(id, ms));
    const forward = new SlowestRequests(3);
    for (const r of records) forward.add(r);
    const backward = new SlowestRequests(3);
    for (const r of [...records].reverse()) backward.add(r);
    expect(backward.list()).toEqual(forward.list());
    expect(forward.list().map((r) => r.id)).toEqual([1, 2, 3]);
    const a = new SlowestRequests(3);
    const b = new SlowestRequests(3);
    records.forEach((r, i) => {
      (i % 2 === 0 ? a : b).add(r);
    });
    const merged = new SlowestRequests(3);
    merged.merge(structuredClone(b.encode()));
    merged.merge(structuredClone(a.encode()));
    expect(merged.list()).toEqual(forward.list());
  });
});

describe('distributionOf', () => {
  it('reads the percentile ladder from the full histogram', () => {
    const h = new MetricHistogram('ms');
    for (let i = 1; i <= 1000; i++) h.record(i);
    const d = distributionOf(h);
    expect(d.p).toEqual(PERCENTILE_LADDER);
    expect(d.count).toBe(1000);
    expect(d.v[0]).toBe(1);
    expect(d.v.at(-1)).toBe(1000);
    expect(d.v[d.p.indexOf(99)]).toBe(h.percentile(99));
    // A CDF: values never decrease as the percentile grows.
    for (let i = 1; i < d.v.length; i++) expect(d.v[i]).toBeGreaterThanOrEqual(d.v[i - 1] ?? 0);
  });
});
