import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import type { RequestRecord } from '../core/index.js';
import { HttpClient, type HttpTransport } from '../protocols/index.js';
import { warmConnections, warmUp, warmUpRequests } from './warm-up.js';

function testWith(steps: unknown[]) {
  return parseTest(
    {
      target: 'http://127.0.0.1:9/v1',
      scenarios: [{ name: 's', steps }],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
}

describe('warmUp', () => {
  it('sends only the kinds of request the test sends, and they succeed', async () => {
    const test = testWith([
      { chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
      { completion: { model: 'm', prompt: 'hi', stream: false } },
    ]);
    const result = await warmUp({ test, requests: 60 });
    await result.close();
    expect(result.kinds.sort()).toEqual(['chat', 'completion-json']);
    expect(result).toMatchObject({ sent: 60, ok: 60 });
  });

  it('warms every kind for a test that sends plain HTTP, JSON chat and streamed completions', async () => {
    const test = testWith([
      { http: { url: '/health' } },
      { chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: false } },
      { completion: { model: 'm', prompt: 'hi' } },
    ]);
    const result = await warmUp({ test, requests: 90 });
    await result.close();
    expect(result.kinds.sort()).toEqual(['chat-json', 'completion', 'http']);
    expect(result).toMatchObject({ sent: 90, ok: 90 });
  });

  it('warms Anthropic Messages, Responses, embeddings and agent steps, streamed and not, and they succeed', async () => {
    const test = testWith([
      { messages: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
      { messages: { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: false } },
      { response: { model: 'm', input: 'hi' } },
      { response: { model: 'm', input: 'hi', stream: false } },
      { embedding: { model: 'e', input: ['a', 'b', 'c'] } },
      { agent: { model: 'm', messages: [{ role: 'user', content: 'hi' }], tools: [{ name: 'search' }] } },
      {
        agent: {
          model: 'm',
          stream: false,
          messages: [{ role: 'user', content: 'hi' }],
          tools: [{ name: 'search' }],
        },
      },
      { chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
    ]);
    const records: RequestRecord[] = [];
    const dispatcher = new HttpClient();
    const result = await warmUp({ test, requests: 160, dispatcher, onRecord: (r) => records.push(r) });
    await result.close();
    await dispatcher.destroy();
    expect(result.kinds.sort()).toEqual([
      'agent',
      'agent-json',
      'chat',
      'embedding',
      'messages',
      'messages-json',
      'response',
      'response-json',
    ]);
    const byKind = new Map<string, RequestRecord[]>();
    for (const r of records) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
    for (const kind of ['messages', 'response', 'embedding', 'agent', 'chat']) {
      const own = byKind.get(kind) ?? [];
      expect(own.length, kind).toBeGreaterThan(5);
      expect(
        own.filter((r) => r.outcome !== 'ok').map((r) => r.message),
        kind,
      ).toEqual([]);
    }
    // The answers were read whole: output tokens of each message, a vector per input of the warm-up's batch.
    for (const r of byKind.get('messages') ?? []) expect(r.outputTokens).toBeGreaterThanOrEqual(3);
    for (const r of byKind.get('embedding') ?? []) expect(r.vectors).toBe(2);
    // Each agent task called the tool once and answered on its second model turn.
    for (const r of byKind.get('agent') ?? []) {
      expect(r.agent).toMatchObject({ steps: 2, modelCalls: 2, end: 'answer', success: true });
      expect(r.agent?.tools).toHaveLength(1);
    }
  });

  it('sends nothing when asked for no requests, and stops at its time bound', async () => {
    expect(await warmUp({ requests: 0 })).toMatchObject({ sent: 0 });
    // Without the time bound this would run for minutes and hit the test timeout.
    const bounded = await warmUp({ requests: 1_000_000, maxMs: 200 });
    await bounded.close();
    expect(bounded.sent).toBeGreaterThan(0);
    expect(bounded.sent).toBeLessThan(1_000_000);
  });

  it("runs an open model's warm-up through the run's own dispatcher and record sink", async () => {
    const test = testWith([{ http: { url: '/' } }]);
    const plan = {
      durationMs: 1000,
      iterations: undefined,
      maxConcurrency: 1000,
      offered: { unit: 'iterations_per_s' as const, series: [{ start_s: 0, value: 20_000 }] },
    };
    const dispatcher = new HttpClient();
    const records: RequestRecord[] = [];
    const result = await warmUp({ test, plan, requests: 300, dispatcher, onRecord: (r) => records.push(r) });
    await result.close();
    await dispatcher.close();
    // Arrivals at up to 4,000/s (a loopback server's pace), every one a request that went to the sink.
    expect(result.sent).toBe(300);
    expect(records).toHaveLength(300);
    // A round ends with a 200 ms graceful stop: on a busy machine (three other busy processes on
    // two cores) 34-72 of the 300 were still in flight then and were cancelled, not lost.
    expect(records.every((r) => r.kind === 'http' && ['ok', 'cancelled'].includes(r.outcome))).toBe(true);
    expect(records.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(150);
    // Two rounds (new signals, closures and contexts in the second, as the run will have): each starts at 0.
    expect(records.filter((r) => r.iteration === 0)).toHaveLength(2);
    // The sink is the caller's: the warm-up did not count outcomes itself.
    expect(result.ok).toBeUndefined();
  });

  it('answers with the headers servers send, and now and then a header name not sent before', async () => {
    const client = new HttpClient();
    const names: string[][] = [];
    // The client as the run has it, watched: what each warm-up response carried.
    const watched: HttpTransport = {
      dispatch: (options, handler) =>
        client.dispatch(options, {
          onRequestQueued: (c) => handler.onRequestQueued?.(c),
          onRequestStart: (c, context) => handler.onRequestStart?.(c, context),
          onResponseStart: (c, status, headers) => {
            names.push(Object.keys(headers));
            handler.onResponseStart?.(c, status, headers);
          },
          onResponseData: (c, chunk) => handler.onResponseData?.(c, chunk),
          onResponseEnd: (c, trailers) => handler.onResponseEnd?.(c, trailers),
          onResponseError: (c, error) => handler.onResponseError?.(c, error),
        }),
      close: () => client.close(),
      destroy: () => client.destroy(),
    };
    const result = await warmUp({
      test: testWith([{ http: { url: '/' } }]),
      requests: 200,
      dispatcher: watched,
    });
    await result.close();
    await client.close();
    expect(names).toHaveLength(200);
    expect(names.every((n) => n.includes('server') && n.includes('content-type'))).toBe(true);
    // One answer in 64 has a name of its own: the client meets new names while the JIT watches.
    const fresh = new Set(names.flat().filter((n) => n.startsWith('x-warm-')));
    expect(fresh.size).toBeGreaterThanOrEqual(2);
  });

  it("sizes the warm-up to a second of a worker's heavy share of the peak, less for a light one, 100 to 3,000", () => {
    const open = (values: number[]) => ({
      durationMs: 1000,
      iterations: undefined,
      maxConcurrency: 1000,
      offered: {
        unit: 'iterations_per_s' as const,
        series: values.map((value, s) => ({ start_s: s, value })),
      },
    });
    // Heavy (2,000/s a worker and more): a second of the share, at most 3,000.
    expect(warmUpRequests(open([100, 2500, 800]), 1)).toBe(2500);
    expect(warmUpRequests(open([1000, 5000]), 2)).toBe(2500);
    expect(warmUpRequests(open([20_000]), 1)).toBe(3000);
    // Light: the share squared over 2,000 (1,000/s: 500), at least 100.
    expect(warmUpRequests(open([1000]), 1)).toBe(500);
    expect(warmUpRequests(open([100, 400, 800]), 2)).toBe(100);
    // A closed model counts 50 requests a second per VU; without an offered series, max concurrency.
    const closed = { durationMs: 1000, iterations: undefined, maxConcurrency: 10 };
    expect(
      warmUpRequests({ ...closed, offered: { unit: 'vus', series: [{ start_s: 0, value: 4 }] } }, 1),
    ).toBe(100);
    // The quickstart's 10 VUs on one worker: 500/s, 125 requests (a second of it was 500).
    expect(warmUpRequests(closed, 1)).toBe(125);
    expect(warmUpRequests({ ...closed, maxConcurrency: 100 }, 2)).toBe(2500);
    // A day of per-second points is read without spreading it into arguments.
    const day = Array.from({ length: 86_400 }, (_, s) => (s === 50_000 ? 1800 : 10));
    expect(warmUpRequests(open(day), 1)).toBe(1620);
  });

  it('opens a connection ahead for every VU a closed model starts with, a few for an open one', () => {
    const vus = (values: number[], maxConcurrency = Math.max(...values)) => ({
      durationMs: values.length * 1000,
      iterations: undefined,
      maxConcurrency,
      offered: { unit: 'vus' as const, series: values.map((value, s) => ({ start_s: s, value })) },
    });
    // 250 VUs from the start over two workers: 125 each.
    expect(warmConnections(vus([250, 250]), 2)).toBe(125);
    // A ramp opens what its first second runs; the rest join later.
    expect(warmConnections(vus([10, 200, 400]), 1)).toBe(10);
    // Without a series (a count-bounded run), every VU; at most 1,024 per worker.
    expect(warmConnections({ durationMs: undefined, iterations: 100, maxConcurrency: 30 }, 1)).toBe(30);
    expect(warmConnections(vus([10_000]), 1)).toBe(1024);
    // An open model's VU cap is no guide to the connections it needs: 64 at most.
    const open = {
      durationMs: 1000,
      iterations: undefined,
      maxConcurrency: 2000,
      offered: { unit: 'iterations_per_s' as const, series: [{ start_s: 0, value: 20_000 }] },
    };
    expect(warmConnections(open, 1)).toBe(64);
    expect(warmConnections({ ...open, maxConcurrency: 40 }, 2)).toBe(20);
  });
});
