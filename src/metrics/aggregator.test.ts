import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import { ERROR_KINDS, type RequestRecord } from '../core/index.js';
import { type AggregateState, RunAggregator } from './aggregator.js';
import type { RunMeta } from './summary-core.js';
import { Tally } from './tally.js';

const META: RunMeta = { name: 't', startedAt: '2025-01-01T00:00:00.000Z', durationS: 10 };

let nextId = 0;
function rec(over: Partial<RequestRecord> = {}): RequestRecord {
  return recordOf({
    id: nextId++,
    ttfbMs: 10,
    ttftMs: 20,
    e2eMs: 100,
    tpotMs: 5,
    itlMs: [5, 5],
    outputTokens: 17,
    inputTokens: 30,
    ...over,
  });
}

function httpRec(over: Partial<RequestRecord> = {}): RequestRecord {
  return rec({
    kind: 'http',
    stepName: 'GET /models',
    step: 1,
    ttftMs: undefined,
    tpotMs: undefined,
    itlMs: undefined,
    outputTokens: undefined,
    inputTokens: undefined,
    ...over,
  });
}

function aggregate(records: readonly RequestRecord[], options = {}): RunAggregator {
  const agg = new RunAggregator(options);
  for (const r of records) agg.add(r);
  return agg;
}

/** A seeded generator of numbers in [0, 1) (a linear congruential one): the same records every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
}

/** A time in ms rounded to 0.001 ms. */
function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/**
 * Records of an open model with long answers, retries and every outcome, in the order they ended:
 * an attempt is scheduled, sent up to 800 ms later (no free VU) and ends up to 4 s after that.
 */
function randomFlowRecords(n: number, seed: number): RequestRecord[] {
  const random = seeded(seed);
  const out: RequestRecord[] = [];
  for (let i = 0; i < n; i++) {
    const scheduled = round(i * 10 + random() * 5);
    const sent = round(scheduled + random() * 800);
    const e2e = round(random() * 4000);
    const roll = random();
    const outcome = roll < 0.1 ? 'error' : roll < 0.15 ? 'cancelled' : 'ok';
    // One attempt in eight is a retry (attempt 2 or 3) of a request that failed earlier.
    const attempt = random() < 0.125 ? 2 + Math.floor(random() * 2) : random() < 0.5 ? 1 : undefined;
    out.push(
      rec({
        id: i,
        scheduled,
        sent,
        end: round(sent + e2e),
        e2eMs: e2e,
        outcome,
        error: outcome === 'error' ? 'http_5xx' : undefined,
        attempt,
      }),
    );
  }
  return out.sort((a, b) => a.end - b.end);
}

describe('RunAggregator', () => {
  it('keeps model metrics to model steps: an HTTP step never dilutes TTFT', () => {
    const s = aggregate([
      rec({ ttftMs: 200, e2eMs: 1000 }),
      httpRec({ ttftMs: 1, e2eMs: 3, ttfbMs: 2 }),
    ]).snapshot(META);
    expect(s.metrics.ttft_ms).toMatchObject({ count: 1, min: 200, max: 200 });
    expect(s.metrics.e2e_ms).toMatchObject({ count: 2, min: 3, max: 1000 });
    expect(s.metrics.ttfb_ms?.count).toBe(2);
    expect(s.metrics.output_tokens?.count).toBe(1);
    expect(s.metrics.itl_ms?.count).toBe(2);
  });

  it('counts one outcome and one latency per logical request: its last attempt, from its first send', () => {
    const attempt = (over: Partial<RequestRecord>) => rec({ ttftMs: 20, e2eMs: 100, ...over });
    const limited = { outcome: 'error', error: 'rate_limited', ttftMs: undefined, e2eMs: 2 } as const;
    const records = [
      // vu 1: 429 at 0, 429 at 1000 (after Retry-After), ok at 2000: one ok logical request of 2100 ms.
      attempt({ vu: 1, attempt: 1, sent: 0, end: 2, ...limited }),
      attempt({ vu: 1, attempt: 2, sent: 1000, end: 1002, ...limited }),
      attempt({ vu: 1, attempt: 3, sent: 2000, end: 2100, logicalSent: 0 }),
      // vu 2: four 429s, the last one final: one failed logical request.
      ...[1, 2, 3].map((a) => attempt({ vu: 2, attempt: a, sent: a * 1000, end: a * 1000 + 2, ...limited })),
      attempt({ vu: 2, attempt: 4, sent: 4000, end: 4002, logicalSent: 1000, ...limited }),
      // vu 3: ok at once under the policy; vu 4: no policy at all.
      attempt({ vu: 3, attempt: 1, sent: 50, end: 150, logicalSent: 50 }),
      attempt({ vu: 4, sent: 60, end: 160 }),
      // vu 5: a 429 whose retry the run's stop cut (no last attempt): cancelled, not an error.
      attempt({ vu: 5, attempt: 1, sent: 70, end: 72, ...limited }),
    ];
    const s = aggregate(records, { slos: [{ metric: 'e2e_ms', maxMs: 1000 }] }).snapshot(META);
    expect(s.counts).toMatchObject({ requests: 10, ok: 3, errors: 7 });
    expect(s.rates.error_rate).toBeCloseTo(7 / 10, 12);
    expect(s.logical).toEqual({
      requests: 5,
      ok: 3,
      errors: 1,
      cancelled: 1,
      byError: { rate_limited: 1 },
      error_rate: 1 / 4,
      ok_per_s: 0.3,
      // vu 1 took 2100 ms with its retries: ok, but not good under a 1000-ms E2E SLO.
      goodput_per_s: 0.2,
      goodput_pct: 50,
    });
    expect(s.rates.goodput_per_s).toBe(0.3);
    expect(s.metrics.e2e_logical_ms).toMatchObject({ count: 3, min: 100, max: 2100 });
    expect(s.metrics.ttft_logical_ms).toMatchObject({ count: 3, min: 20, max: 2020 });
    expect(s.metrics.e2e_ms).toMatchObject({ count: 3, max: 100 });
    expect(s.slo).toEqual({ e2e_ms: 1000 });
  });

  it('keeps every metric per step by name: a chat step and an HTTP step are two distributions', () => {
    const agg = aggregate([
      rec({ stepName: 'chat:0', e2eMs: 700 }),
      rec({ stepName: 'chat:0', e2eMs: 690 }),
      httpRec({ stepName: 'http:1', e2eMs: 3 }),
      httpRec({ stepName: 'http:1', e2eMs: 2, outcome: 'error', error: 'http_5xx' }),
      rec({ scenario: 'other', stepName: 'chat:0', e2eMs: 710 }),
    ]);
    const s = agg.snapshot(META);
    expect(Object.keys(s.steps)).toEqual(['chat:0', 'http:1']);
    expect(s.steps['chat:0']).toMatchObject({ kind: 'chat', counts: { requests: 3, ok: 3 } });
    expect(s.steps['chat:0']?.metrics.e2e_ms).toMatchObject({ count: 3, min: 690, max: 710 });
    expect(s.steps['http:1']?.metrics.e2e_ms).toMatchObject({ count: 1, min: 3, max: 3 });
    expect(s.steps['http:1']?.rates.error_rate).toBe(0.5);
    expect(s.metrics.e2e_ms?.count).toBe(4);
    expect(agg.histogram('e2e_ms', undefined, 'http:1')?.max).toBe(3);
    expect(agg.histogram('e2e_ms', 'chat')?.count).toBe(3);
  });

  it('counts cancellations apart from errors and leaves them out of error_rate', () => {
    const s = aggregate([
      rec(),
      rec(),
      rec({ outcome: 'cancelled', ttftMs: 1 }),
      rec({ outcome: 'error', error: 'http_5xx', status: 503 }),
      rec({ outcome: 'error', error: 'timeout' }),
      rec({ outcome: 'error', error: 'http_5xx' }),
    ]).snapshot(META);
    expect(s.counts).toEqual({
      requests: 6,
      ok: 2,
      errors: 3,
      cancelled: 1,
      dropped: 0,
      byError: { http_5xx: 2, timeout: 1 },
    });
    expect(Object.keys(s.counts.byError)).toEqual(['http_5xx', 'timeout']);
    expect(s.rates.error_rate).toBe(3 / 5);
    // Only ok records feed latency metrics.
    expect(s.metrics.ttft_ms?.count).toBe(2);
    expect(s.metrics.scheduling_lag_ms?.count).toBe(6);
  });

  it('reports error_rate 0 and the core four metrics (as zeros) when nothing was measured', () => {
    const s = new RunAggregator().snapshot(META);
    expect(s.rates.error_rate).toBe(0);
    expect(Object.keys(s.metrics)).toEqual(['ttft_ms', 'itl_ms', 'tpot_ms', 'e2e_ms']);
    expect(s.metrics.ttft_ms).toEqual({ count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 });
    expect(s.windows).toEqual([]);
    expect(s.scenarios).toEqual({});
  });

  it('pools every inter-token gap of ok model records into itl_ms', () => {
    const s = aggregate([
      rec({ itlMs: [1, 2, 3] }),
      rec({ itlMs: [4] }),
      rec({ outcome: 'error', error: 'stream_error', itlMs: [100] }),
      httpRec({ itlMs: [100] }),
    ]).snapshot(META);
    expect(s.metrics.itl_ms).toMatchObject({ count: 4, min: 1, max: 4, mean: 2.5, p50: 2 });
  });

  it('takes tpot from the record, or derives (e2e - ttft) / (output - 1)', () => {
    const s = aggregate([
      rec({ tpotMs: 7 }),
      rec({ tpotMs: undefined, e2eMs: 1000, ttftMs: 100, outputTokens: 10 }),
      rec({ tpotMs: undefined, outputTokens: 1 }),
    ]).snapshot(META);
    expect(s.metrics.tpot_ms).toMatchObject({ count: 2, min: 7, max: 100 });
  });

  it('measures from schedule too, so a client backlog cannot hide', () => {
    const s = aggregate([rec({ ttftMs: 50, e2eMs: 500, schedulingLagMs: 1000 })]).snapshot(META);
    expect(s.metrics.ttft_from_schedule_ms?.p50).toBe(1050);
    expect(s.metrics.e2e_from_schedule_ms?.p50).toBe(1500);
    expect(s.metrics.scheduling_lag_ms?.max).toBe(1000);
  });

  it('accounts tokens from server and client and counts mismatches', () => {
    const s = aggregate([
      rec({ outputTokens: 10, outputTokensClient: 10, inputTokens: 5, inputTokensClient: 6 }),
      rec({ outputTokens: 20, outputTokensClient: 22, inputTokens: undefined, inputTokensClient: 7 }),
      rec({ outputTokens: undefined, outputTokensClient: 30, inputTokens: 9 }),
      rec({ outcome: 'error', error: 'truncated', outputTokens: 1000 }),
    ]).snapshot(META);
    expect(s.tokens).toEqual({
      output_server: 30,
      output_client: 62,
      input_server: 14,
      input_client: 13,
      mismatched_requests: 1,
    });
    expect(s.metrics.output_tokens).toMatchObject({ count: 3, min: 10, max: 30 });
    expect(s.rates.output_tokens_per_s).toBe(6);
    expect(s.rates.input_tokens_per_s).toBe(2.1);
  });

  it('computes rates over the measured duration, goodput from SLOs', () => {
    const records = [rec({ ttftMs: 100 }), rec({ ttftMs: 900 }), httpRec(), rec({ outcome: 'error' })];
    const plain = aggregate(records).snapshot(META);
    expect(plain.rates).toMatchObject({ requests_per_s: 0.4, ok_per_s: 0.3, goodput_per_s: 0.3 });
    const slo = aggregate(records, { slos: [{ metric: 'ttft_ms', maxMs: 500 }] }).snapshot(META);
    expect(slo.rates.goodput_per_s).toBe(0.2);
    expect(slo.counts.byError).toEqual({ unknown: 1 });
  });

  it('keeps a continuous series of windows, with dropped arrivals', () => {
    const agg = aggregate([rec({ end: 500, ttftMs: 40 }), rec({ end: 3500, ttftMs: 80, outputTokens: 3 })]);
    agg.addDropped(4200, 2);
    const s = agg.snapshot(META);
    expect(s.windows.map((w) => w.start_s)).toEqual([0, 1, 2, 3, 4]);
    expect(s.windows.map((w) => w.requests)).toEqual([1, 0, 0, 1, 0]);
    expect(s.windows.map((w) => w.dropped)).toEqual([0, 0, 0, 0, 2]);
    expect(s.windows[3]).toMatchObject({ output_tokens: 3, ttft_ms: { p50: 80, p95: 80, p99: 80 } });
    expect(s.windows[1]?.ttft_ms).toEqual({ p50: 0, p95: 0, p99: 0 });
    expect(s.counts.dropped).toBe(2);
    const wide = aggregate([rec({ end: 500 }), rec({ end: 3500 })], { windowMs: 2000 }).snapshot(META);
    expect(wide.windows.map((w) => w.start_s)).toEqual([0, 2]);
  });

  describe('windows: offered, sent and completed each by its own clock', () => {
    /**
     * An open model offers 20 arrivals/s for 5 s to a FIFO server that completes 10/s (100 ms each,
     * one at a time): every arrival is sent at once, waits its turn, and ends 100 ms after the one
     * before it. Six arrivals at 4.x s find no free VU and are dropped.
     */
    function saturated(): { agg: RunAggregator; records: RequestRecord[] } {
      const records: RequestRecord[] = [];
      let free = 0;
      for (let i = 0; i < 100; i++) {
        const scheduled = i * 50;
        const end = Math.max(free, scheduled) + 100;
        free = end;
        records.push(rec({ id: i, scheduled, sent: scheduled + 1, end, e2eMs: end - scheduled - 1 }));
      }
      // Records reach the aggregator in the order they ended.
      const agg = aggregate(records, { slos: [{ metric: 'e2e_ms', maxMs: 2000 }] });
      for (let k = 0; k < 6; k++) agg.addDropped(4000 + k * 100 + 25);
      return { agg, records };
    }

    it('a saturated server: completions lag arrivals while its queue grows, and the totals agree at the end', () => {
      const { agg } = saturated();
      const s = agg.snapshot({ ...META, durationS: 11 });
      const flows = s.windows.map((w) => w.flow);
      expect(s.windows.map((w) => w.start_s)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(flows.map((f) => f?.offered_per_s)).toEqual([20, 20, 20, 20, 26, 0, 0, 0, 0, 0, 0]);
      expect(flows.map((f) => f?.sent_per_s)).toEqual([20, 20, 20, 20, 20, 0, 0, 0, 0, 0, 0]);
      // The server completes 10/s from the first answer on, while arrivals stop at 5 s.
      expect(flows.map((f) => f?.completed_per_s)).toEqual([9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 1]);
      expect(flows.map((f) => f?.ok_per_s)).toEqual(flows.map((f) => f?.completed_per_s));
      // An answer within 2 s of its send is good: only the early ones, before the queue grew.
      const goodput = flows.map((f) => f?.goodput_per_s ?? 0);
      expect(goodput[0]).toBe(9);
      expect(goodput.slice(4).every((g) => g === 0)).toBe(true);
      // The queue (offered so far, less completed so far) grows every second the load is on.
      let queued = 0;
      const queue = flows.map((f) => {
        queued += (f?.offered_per_s ?? 0) - (f?.completed_per_s ?? 0);
        return queued;
      });
      for (let i = 1; i < 5; i++) expect(queue[i]).toBeGreaterThan(queue[i - 1] ?? 0);
      // At the end everything offered was completed or dropped.
      const sum = (k: 'offered_per_s' | 'sent_per_s' | 'completed_per_s') =>
        flows.reduce((n, f) => n + (f?.[k] ?? 0), 0);
      expect(sum('offered_per_s')).toBe(s.logical.requests + s.counts.dropped);
      expect(sum('offered_per_s')).toBe(106);
      expect(sum('sent_per_s')).toBe(s.counts.requests);
      expect(sum('completed_per_s')).toBe(100);
      expect(queue.at(-1)).toBe(6);
      // The old end-time counts are kept as they were.
      expect(s.windows.map((w) => w.requests)).toEqual([9, 10, 10, 10, 10, 10, 10, 10, 10, 10, 1]);
    });

    it('sum to the run totals, window by window as the records say, also merged from workers and rebuilt', () => {
      const slos = [{ metric: 'e2e_ms' as const, maxMs: 1500 }];
      const records = randomFlowRecords(3000, 7);
      const dropped = [120.5, 7000, 7000.25, 33_999.9];
      const one = aggregate(records, { slos });
      for (const at of dropped) one.addDropped(at);
      const s = one.snapshot(META);

      // What each window must hold, counted straight from the records.
      const expected = new Map<number, number[]>();
      const count = (atMs: number, k: number) => {
        const i = Math.floor(atMs / 1000);
        const row = expected.get(i) ?? [0, 0, 0, 0, 0];
        row[k] = (row[k] ?? 0) + 1;
        expected.set(i, row);
      };
      for (const r of records) {
        if ((r.attempt ?? 1) === 1) count(r.scheduled, 0);
        count(r.sent, 1);
        if (r.outcome !== 'cancelled') count(r.end, 2);
        if (r.outcome === 'ok') count(r.end, 3);
        if (r.outcome === 'ok' && (r.e2eMs ?? 0) <= 1500) count(r.end, 4);
      }
      for (const at of dropped) count(at, 0);
      for (const w of s.windows) {
        const want = expected.get(Math.round(w.start_s)) ?? [0, 0, 0, 0, 0];
        expect([w.start_s, w.flow], `window ${w.start_s}`).toEqual([
          w.start_s,
          {
            offered_per_s: want[0],
            sent_per_s: want[1],
            completed_per_s: want[2],
            ok_per_s: want[3],
            goodput_per_s: want[4],
          },
        ]);
      }
      // Offered, sent and completed follow different clocks: some windows differ.
      expect(s.windows.some((w) => w.flow?.offered_per_s !== w.flow?.completed_per_s)).toBe(true);
      expect(s.windows.some((w) => w.flow?.sent_per_s !== w.requests)).toBe(true);

      const sum = (k: keyof NonNullable<(typeof s.windows)[number]['flow']>) =>
        s.windows.reduce((n, w) => n + (w.flow?.[k] ?? 0), 0);
      expect(s.counts.dropped).toBe(4);
      expect(s.logical.requests).toBeLessThan(s.counts.requests);
      expect(sum('offered_per_s')).toBe(s.logical.requests + s.counts.dropped);
      expect(sum('sent_per_s')).toBe(s.counts.requests);
      expect(sum('completed_per_s')).toBe(s.counts.ok + s.counts.errors);
      expect(sum('ok_per_s')).toBe(s.counts.ok);
      expect(sum('goodput_per_s')).toBe(Math.round(s.rates.goodput_per_s * META.durationS));

      // Two workers, each shipping what it counted every second of run time, merge into the same windows.
      const coordinator = new RunAggregator({ slos });
      for (let w = 0; w < 2; w++) {
        let part = new RunAggregator({ slos });
        let second = 0;
        for (const r of records.filter((_, i) => i % 2 === w)) {
          if (Math.floor(r.end / 1000) > second) {
            coordinator.merge(structuredClone(part.encode()));
            part = new RunAggregator({ slos });
            second = Math.floor(r.end / 1000);
          }
          part.add(r);
        }
        if (w === 1) for (const at of dropped) part.addDropped(at);
        coordinator.merge(structuredClone(part.encode()));
      }
      expect(coordinator.snapshot(META).windows).toEqual(s.windows);

      // Rebuilt from records.jsonl (a JSON round trip), the windows are the same.
      const rebuilt = aggregate(
        records.map((r) => JSON.parse(JSON.stringify(r)) as RequestRecord),
        { slos },
      );
      for (const at of dropped) rebuilt.addDropped(at);
      expect(JSON.stringify(rebuilt.snapshot(META).windows)).toBe(JSON.stringify(s.windows));
    });

    it('counts per second of a wider window', () => {
      const agg = aggregate(
        [rec({ scheduled: 100, sent: 200, end: 2500 }), rec({ scheduled: 300, sent: 400, end: 900 })],
        { windowMs: 2000 },
      );
      expect(agg.snapshot(META).windows.map((w) => w.flow)).toEqual([
        { offered_per_s: 1, sent_per_s: 1, completed_per_s: 0.5, ok_per_s: 0.5, goodput_per_s: 0.5 },
        { offered_per_s: 0, sent_per_s: 0, completed_per_s: 0.5, ok_per_s: 0.5, goodput_per_s: 0.5 },
      ]);
    });
  });

  it('reports per scenario, declared ones included', () => {
    const agg = aggregate([
      rec({ scenario: 'chat', ttftMs: 100 }),
      rec({ scenario: 'rag', ttftMs: 300 }),
      rec({ scenario: 'rag', outcome: 'error', error: 'rate_limited' }),
    ]);
    const s = agg.snapshot({ ...META, scenarios: ['rag', 'idle', 'chat'] });
    expect(Object.keys(s.scenarios)).toEqual(['rag', 'idle', 'chat']);
    expect(s.scenarios.rag?.counts).toMatchObject({
      requests: 2,
      ok: 1,
      errors: 1,
      byError: { rate_limited: 1 },
    });
    expect(s.scenarios.rag?.rates.error_rate).toBe(0.5);
    expect(s.scenarios.chat?.metrics.ttft_ms?.p50).toBe(100);
    expect(s.scenarios.idle?.counts.requests).toBe(0);
    expect(agg.histogram('ttft_ms', 'rag')?.percentile(99.9)).toBe(300);
    expect(agg.histogram('ttft_ms')?.count).toBe(2);
    expect(agg.histogram('ttft_ms', 'nope')).toBeUndefined();
    expect(agg.histogram('ttfb_ms', 'idle')).toBeUndefined();
    expect(agg.histogram('not_a_metric')).toBeUndefined();
  });

  describe('determinism', () => {
    function randomRecords(n: number, seed: number): RequestRecord[] {
      const random = seeded(seed);
      return Array.from({ length: n }, (_, i) => {
        const sent = round(i * 20 + random() * 5);
        const ttft = round(20 + random() * 400);
        const e2e = round(ttft + random() * 2000);
        const roll = random();
        const outcome = roll < 0.05 ? 'error' : roll < 0.08 ? 'cancelled' : 'ok';
        const kind = random() < 0.2 ? 'http' : 'chat';
        return rec({
          id: i,
          scenario: random() < 0.5 ? 'chat' : 'agent',
          kind,
          outcome,
          error: outcome === 'error' ? ERROR_KINDS[Math.floor(random() * ERROR_KINDS.length)] : undefined,
          sent,
          scheduled: round(sent - random() * 3),
          end: round(sent + e2e),
          schedulingLagMs: round(random() * 3),
          ttfbMs: round(ttft * 0.9),
          ttftMs: kind === 'chat' ? ttft : undefined,
          e2eMs: e2e,
          tpotMs: kind === 'chat' ? round(random() * 40) : undefined,
          itlMs: kind === 'chat' ? Array.from({ length: 5 }, () => round(random() * 60)) : undefined,
          outputTokens: kind === 'chat' ? Math.floor(random() * 300) : undefined,
          outputTokensClient: kind === 'chat' ? Math.floor(random() * 300) : undefined,
        });
      });
    }

    it('gives deep-equal snapshots for the same records, also after a JSON round trip', () => {
      const records = randomRecords(3000, 1);
      const jsonl = records.map((r) => JSON.stringify(r)).join('\n');
      const live = aggregate(records);
      live.addDropped(1234.5, 3);
      const rebuilt = aggregate(jsonl.split('\n').map((line) => JSON.parse(line) as RequestRecord));
      rebuilt.addDropped(1234.5, 3);
      const a = live.snapshot(META);
      expect(a.windows.length).toBeGreaterThan(50);
      expect(rebuilt.snapshot(META)).toEqual(a);
      expect(JSON.stringify(rebuilt.snapshot(META))).toBe(JSON.stringify(live.snapshot(META)));
    });

    it('merges encoded parts exactly: split over workers and shipped each second, it equals one aggregator', () => {
      const stages = [
        { name: 'low', startMs: 0, endMs: 20_000, target: 5 },
        { name: 'high', startMs: 20_000, endMs: 80_000, target: 50 },
      ];
      const records = randomRecords(4000, 3).map((r, i) =>
        // Sessions (context stats) and equal durations (ties among the slowest) are covered too.
        r.scenario === 'agent'
          ? { ...r, turn: 1 + (i % 4), contextTokens: 100 * (1 + (i % 40)) }
          : i % 50 === 0
            ? { ...r, e2eMs: 2500, end: r.sent + 2500 }
            : r,
      );
      const one = aggregate(records, { stages });
      one.addDropped(30_500, 2);
      // Dropped arrivals counted by workers too, with and without a scenario.
      one.addDropped(40_500, 3);
      one.addDropped(41_000, 1, 'agent');
      // Three workers take records in turn; each ships what it counted once a second of run time and starts afresh.
      const coordinator = new RunAggregator({ stages });
      const parts: AggregateState[] = [];
      for (let w = 0; w < 3; w++) {
        let part = new RunAggregator({ stages });
        if (w === 0) part.addDropped(40_500, 3);
        if (w === 1) part.addDropped(41_000, 1, 'agent');
        let second = 0;
        for (const r of records.filter((_, i) => i % 3 === w)) {
          if (Math.floor(r.end / 1000) > second) {
            parts.push(part.encode());
            part = new RunAggregator({ stages });
            second = Math.floor(r.end / 1000);
          }
          part.add(r);
        }
        parts.push(part.encode());
      }
      // Parts cross a thread as structured clones and arrive interleaved.
      const shuffled = parts.map((p, i) => ({ p, k: (i * 7919) % parts.length })).sort((a, b) => a.k - b.k);
      for (const { p } of shuffled) coordinator.merge(structuredClone(p));
      coordinator.addDropped(30_500, 2);
      const snapshot = one.snapshot(META);
      const perStage = snapshot.stages?.map((s) => s.counts.requests) ?? [];
      expect(perStage[0]).toBeGreaterThan(900);
      expect((perStage[0] ?? 0) + (perStage[1] ?? 0)).toBe(4000);
      expect(Object.keys(snapshot.scenarios.agent?.turns ?? {})).toEqual(['1', '2', '3', '4']);
      expect(coordinator.snapshot(META)).toEqual(snapshot);
      expect(coordinator.slowest()).toEqual(one.slowest());
      expect(coordinator.snapshot(META).counts.requests).toBe(4000);
      expect(coordinator.snapshot(META).counts.dropped).toBe(6);
      expect(coordinator.snapshot(META).scenarios.agent?.counts.dropped).toBe(1);
      // What a live view gets: each part's run total, made from that part alone.
      const live = new Tally([]);
      for (const p of parts) live.merge(RunAggregator.totalOf(structuredClone(p)));
      expect(parts.reduce((n, p) => n + RunAggregator.requestsIn(p), 0)).toBe(4000);
      expect(live.counts()).toEqual({ ...snapshot.counts, dropped: 4 });
      expect(live.metrics()).toEqual(snapshot.metrics);
      for (const metric of ['ttft_ms', 'itl_ms', 'e2e_ms', 'scheduling_lag_ms']) {
        expect(coordinator.histogram(metric)?.percentile(99.9)).toBe(one.histogram(metric)?.percentile(99.9));
        expect(coordinator.histogram(metric, 'agent')?.sum).toBe(one.histogram(metric, 'agent')?.sum);
      }
    });

    it('does not depend on the arrival order of records (old windows compact losslessly)', () => {
      const records = randomRecords(2000, 2);
      const inOrder = [...records].sort((x, y) => x.end - y.end);
      const shuffled = [...records].sort((x, y) => ((x.id * 7919) % 2000) - ((y.id * 7919) % 2000));
      const a = aggregate(inOrder).snapshot(META);
      const b = aggregate(shuffled).snapshot(META);
      expect(b.windows).toEqual(a.windows);
      expect(b.metrics).toEqual(a.metrics);
      expect(b.counts).toEqual(a.counts);
    });
  });

  it('rejects a window width that is not positive', () => {
    expect(() => new RunAggregator({ windowMs: 0 })).toThrow(/windowMs/);
  });
});
