import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from './aggregator.js';
import { isGood, slosOf } from './goodput.js';

function records(n: number): RequestRecord[] {
  // Deterministic spread of latencies and outcomes around the SLO bounds.
  return Array.from({ length: n }, (_, i) => {
    const ttft = (i * 37) % 900;
    const tpot = (i * 13) % 80;
    const outcome = i % 17 === 0 ? 'error' : i % 23 === 0 ? 'cancelled' : 'ok';
    return recordOf({
      id: i,
      vu: 0,
      iteration: i,
      outcome,
      ...(outcome === 'error' ? { error: 'http_5xx' as const } : {}),
      scheduled: i * 10,
      sent: i * 10,
      end: i * 10 + ttft + 500,
      ttftMs: ttft,
      tpotMs: tpot,
      e2eMs: ttft + 500,
      outputTokens: 20,
    });
  });
}

describe('goodput and stages', () => {
  const slo = { ttft_ms: 500, tpot_ms: 50, e2e_ms: 1200 };
  const all = records(1000);
  const stages = [
    { name: 'first', startMs: 0, endMs: 4000, target: 10 },
    { name: 'second', startMs: 4000, endMs: 10_000, target: 20 },
  ];

  it('counts exactly the requests that completed and met every SLO, in total and per stage', () => {
    const agg = new RunAggregator({ slos: slosOf(slo), stages });
    for (const r of all) agg.add(r);
    agg.addDropped(4500, 3);
    const s = agg.snapshot({ name: 't', startedAt: '2025-01-01T00:00:00.000Z', durationS: 10 });
    const meets = (r: RequestRecord) =>
      r.outcome === 'ok' && (r.ttftMs ?? 0) <= 500 && (r.tpotMs ?? 0) <= 50 && (r.e2eMs ?? 0) <= 1200;
    const good = all.filter(meets);
    expect(good.length).toBeGreaterThan(100);
    expect(good.length).toBeLessThan(900);
    expect(all.filter((r) => isGood(r, slosOf(slo))).map((r) => r.id)).toEqual(good.map((r) => r.id));
    expect(s.rates.goodput_per_s).toBe(good.length / 10);
    const attempted = all.filter((r) => r.outcome !== 'cancelled').length;
    expect(s.rates.goodput_pct).toBeCloseTo((100 * good.length) / attempted, 2);
    const [first, second] = s.stages ?? [];
    const inFirst = (r: RequestRecord) => r.scheduled < 4000;
    expect(first).toMatchObject({ name: 'first', start: 0, end: 4, target: 10 });
    expect(first?.counts.requests).toBe(all.filter(inFirst).length);
    expect(first?.counts.good).toBe(good.filter(inFirst).length);
    expect(second?.counts.good).toBe(good.filter((r) => !inFirst(r)).length);
    expect(second?.counts.dropped).toBe(3);
    expect(second?.rates.goodput_per_s).toBe(
      Math.round((good.filter((r) => !inFirst(r)).length / 6) * 1000) / 1000,
    );
    expect(agg.measure(4000, 10_000).counts.good).toBe(second?.counts.good);
  });

  it('assigns a record by when it was scheduled, not when it ended, and stages may be added while running', () => {
    const agg = new RunAggregator({});
    agg.addStage({ name: 'a', startMs: 0, endMs: 100 });
    const late = { ...(all[1] as RequestRecord), scheduled: 99, end: 5000 };
    agg.add(late);
    agg.addStage({ name: 'b', startMs: 100, endMs: 200 });
    agg.add({ ...(all[2] as RequestRecord), scheduled: 150 });
    const s = agg.snapshot({ name: 't', startedAt: 'x', durationS: 1 });
    expect(s.stages?.map((x) => [x.name, x.counts.requests])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
  });

  it('flow: offered and sent by scheduled time, completions (the throughput) by when they ended', () => {
    const agg = new RunAggregator({ slos: slosOf(slo) });
    agg.addStage({ name: 'a', startMs: 0, endMs: 1000 });
    agg.addStage({ name: 'b', startMs: 1000, endMs: 2000 });
    const ok = { ...(all[0] as RequestRecord), outcome: 'ok' as const, ttftMs: 1, tpotMs: 1, e2eMs: 10 };
    // Scheduled in a, ended in b: offered to a, completed by b. A retry is sent, not offered again.
    agg.add({ ...ok, scheduled: 100, sent: 100, end: 1500 });
    agg.add({ ...ok, scheduled: 200, sent: 200, end: 1600, attempt: 2 });
    agg.add({ ...ok, scheduled: 300, sent: 300, end: 1700, outcome: 'cancelled' });
    agg.add({ ...ok, scheduled: 400, sent: 400, end: 900, outcome: 'error', error: 'http_5xx' });
    agg.addDropped(500);
    const [a, b] = agg.snapshot({ name: 't', startedAt: 'x', durationS: 2 }).stages ?? [];
    expect(a?.flow).toEqual({
      offered_per_s: 4,
      sent_per_s: 4,
      completed_per_s: 1,
      ok_per_s: 0,
      goodput_per_s: 0,
    });
    expect(b?.flow).toEqual({
      offered_per_s: 0,
      sent_per_s: 0,
      completed_per_s: 2,
      ok_per_s: 2,
      goodput_per_s: 2,
    });
  });
});
