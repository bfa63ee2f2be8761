/**
 * The fault proxy between tokenstorm's own protocol client and the mock, all on
 * loopback: faithful SSE pass-through, added latency, each fault kind's error
 * kind in the record, the control API, routes and cancellation.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Step } from '../../config/index.js';
import { createClock } from '../../core/index.js';
import { compileStep, runStep, type StepMeasurement } from '../../protocols/index.js';
import { type MockServer, startMockServer } from '../mock-server.js';
import { getProxyFaults, setProxyFaults } from './proxy-control.js';
import { loadProxyFaults, type ProxyFaultSetInput } from './proxy-faults.js';
import { type FaultProxy, startFaultProxy } from './proxy-server.js';

const dispatcher = new Agent({ keepAliveTimeout: 10_000 });
afterAll(() => dispatcher.close());
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function setup(
  mockProfile: object,
  faults?: ProxyFaultSetInput,
): Promise<{ mock: MockServer; proxy: FaultProxy }> {
  const mock = await startMockServer({ profile: mockProfile });
  const proxy = await startFaultProxy({ upstream: mock.url, faults });
  closers.push(
    () => proxy.close(),
    () => mock.close(),
  );
  return { mock, proxy };
}

/** Runs one streamed chat step through tokenstorm's protocol client, as a test run would. */
async function chatStep(base: string, timeoutMs = 10_000, signal?: AbortSignal): Promise<StepMeasurement> {
  // A parsed step (defaults filled in) as the config loader yields it.
  const step = {
    chat: { model: 'm', stream: true, timeout: timeoutMs, messages: [{ role: 'user', content: 'hello' }] },
  } as Step;
  const compiled = compileStep(step, 0, { target: `${base}/v1`, headers: {}, timeoutMs });
  return runStep(compiled, { dispatcher, clock: createClock(), signal });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('fault proxy pass-through', () => {
  it('streams SSE chunk by chunk with added latency equal to the configured delay (±2 ms p50)', async () => {
    const { mock, proxy } = await setup(
      { ttft_ms: 30, itl_ms: 10, output_tokens: 15 },
      { faults: [{ kind: 'latency', delay_ms: 80 }] },
    );
    const plain = await startFaultProxy({ upstream: mock.url });
    closers.push(() => plain.close());
    const direct: StepMeasurement[] = [];
    const passed: StepMeasurement[] = [];
    const delayed: StepMeasurement[] = [];
    for (let i = 0; i < 21; i++) {
      direct.push(await chatStep(mock.url));
      passed.push(await chatStep(plain.url));
      delayed.push(await chatStep(proxy.url));
    }
    for (const m of [...direct, ...passed, ...delayed]) {
      expect(m).toMatchObject({ outcome: 'ok', chunks: 15, outputTokens: 15 });
    }
    const ttft = (ms: StepMeasurement[]) => median(ms.map((m) => m.ttftMs as number));
    // The injected delay, against the same proxy path without it.
    const added = ttft(delayed) - ttft(passed);
    expect(Math.abs(added - 80)).toBeLessThanOrEqual(2);
    // The hop itself: one more loopback request and response through a Node event loop.
    const hop = ttft(passed) - ttft(direct);
    expect(hop).toBeLessThan(5);
    // Chunks arrive as the mock sends them, 10 ms apart: nothing is buffered on the way.
    const itl = median(delayed.flatMap((m) => m.itlMs ?? []));
    expect(Math.abs(itl - 10)).toBeLessThanOrEqual(2);
    console.log(
      `proxy: injected 80 ms measured ${added.toFixed(2)} ms (p50), pass-through hop ${hop.toFixed(2)} ms, itl p50 ${itl.toFixed(2)} ms`,
    );
  });

  it('forwards status, headers, query and body faithfully', async () => {
    const { proxy } = await setup({ ttft_ms: 1, output_tokens: 3, rate_limits: { requests: 100 } });
    const res = await request(`${proxy.url}/v1/chat/completions?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('abc');
    expect(res.headers['x-ratelimit-limit-requests']).toBe('100');
    expect((await res.body.json()) as object).toMatchObject({ usage: { completion_tokens: 3 } });
    const missing = await request(`${proxy.url}/nope`);
    expect(missing.statusCode).toBe(404);
    await missing.body.dump();
  });
});

describe('fault kinds become the matching error kinds in the records', () => {
  const cases: [string, ProxyFaultSetInput['faults'], string][] = [
    ['error 500', [{ kind: 'error', status: 500 }], 'http_5xx'],
    ['outage', [{ kind: 'outage' }], 'http_5xx'],
    ['rate_limit', [{ kind: 'rate_limit', retry_after: '3s' }], 'rate_limited'],
    ['reset', [{ kind: 'reset' }], 'connection'],
    ['cut after 3 chunks', [{ kind: 'cut', after_chunks: 3 }], 'stream_error'],
    ['cut after 200 bytes', [{ kind: 'cut', after_bytes: 200 }], 'stream_error'],
    ['stall after 50 ms', [{ kind: 'stall', after: '50ms' }], 'timeout'],
  ];
  it.each(cases)('%s', async (_name, faults, kind) => {
    const { proxy } = await setup({ ttft_ms: 5, itl_ms: 5, output_tokens: 40 }, { faults });
    const m = await chatStep(proxy.url, 600);
    expect(m.outcome).toBe('error');
    expect(m.error).toBe(kind);
    expect(proxy.stats().faulted).toBe(1);
  });

  it('429 carries Retry-After; bandwidth paces the body', async () => {
    const { proxy } = await setup(
      { ttft_ms: 1, itl_ms: 0, output_tokens: 100 },
      {
        faults: [
          { kind: 'rate_limit', match: '/v1/completions', retry_after: '2s' },
          { kind: 'bandwidth', match: '/v1/chat/**', bytes_per_s: 20_000 },
        ],
      },
    );
    const limited = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: '{"prompt":"x"}' });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('2');
    await limited.body.dump();
    const begin = performance.now();
    const res = await request(`${proxy.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    const size = (await res.body.text()).length;
    const ms = performance.now() - begin;
    const expected = (size / 20_000) * 1000;
    expect(size).toBeGreaterThan(10_000);
    expect(ms).toBeGreaterThan(expected - 60);
    expect(ms).toBeLessThan(expected + 200);
  });
});

describe('control API and routes', () => {
  it('switches faults at run time through setProxyFaults and reports them with GET', async () => {
    const { proxy } = await setup({ ttft_ms: 1, itl_ms: 0, output_tokens: 3 });
    expect((await chatStep(proxy.url)).outcome).toBe('ok');
    const active = await setProxyFaults(proxy.url, { faults: [{ kind: 'outage', match: '/v1/chat/*' }] });
    expect(active.faults).toEqual([expect.objectContaining({ kind: 'outage', status: 503, probability: 1 })]);
    expect((await getProxyFaults(`${proxy.url}/__tokenstorm/faults`)).faults).toHaveLength(1);
    expect((await chatStep(proxy.url)).error).toBe('http_5xx');
    // Other routes are untouched.
    const models = await request(`${proxy.url}/v1/models`);
    expect(models.statusCode).toBe(200);
    await models.body.dump();
    await setProxyFaults(proxy.url, { faults: [] });
    expect((await chatStep(proxy.url)).outcome).toBe('ok');
  });

  it('refuses a bad fault set naming the field, and keeps the active one', async () => {
    const { proxy } = await setup({}, { faults: [{ kind: 'latency', delay_ms: 1 }] });
    await expect(setProxyFaults(proxy.url, { faults: [{ kind: 'error', status: 99 }] })).rejects.toThrow(
      'POST /__tokenstorm/faults: faults[0].status: expected at least 400, got 99',
    );
    await expect(
      setProxyFaults(proxy.url, { faults: [{ kind: 'explode' }] } as unknown as ProxyFaultSetInput),
    ).rejects.toThrow(/faults\[0\]\.kind: expected "kind" to be one of "latency"/);
    expect(proxy.faults().faults).toEqual([expect.objectContaining({ kind: 'latency' })]);
  });

  it('matches routes by regex and applies probabilities with a seed', async () => {
    const { proxy } = await setup(
      { ttft_ms: 0, itl_ms: 0, output_tokens: 1 },
      {
        seed: 7,
        faults: [{ kind: 'error', regex: '^/v1/(chat/)?completions$', probability: 0.3 }],
      },
    );
    let errors = 0;
    for (let i = 0; i < 100; i++) {
      const res = await request(`${proxy.url}/v1/completions`, { method: 'POST', body: '{"prompt":"x"}' });
      if (res.statusCode === 500) errors++;
      await res.body.dump();
    }
    expect(errors).toBeGreaterThan(15);
    expect(errors).toBeLessThan(45);
  });

  it('loads a fault file and names the file and field of a bad one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tokenstorm-proxy-'));
    try {
      const good = join(dir, 'faults.yaml');
      await writeFile(
        good,
        'faults:\n  - { kind: cut, match: "/v1/**", after_chunks: 2, probability: 0.5 }\n',
      );
      expect((await loadProxyFaults(good)).faults[0]).toMatchObject({ kind: 'cut', after_chunks: 2 });
      const bad = join(dir, 'bad.yaml');
      await writeFile(
        bad,
        'faults:\n  - { kind: latency, delay_ms: -5 }\n  - { kind: stall, after: soon }\n',
      );
      const err = (await loadProxyFaults(bad).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain(`${bad}: faults[0].delay_ms: expected at least 0, got -5`);
      expect(err.message).toContain(`${bad}: faults[1].after:`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('cancellation through the proxy', () => {
  it('a client that leaves mid-stream stops the upstream generation too', async () => {
    const { mock, proxy } = await setup({ ttft_ms: 5, itl_ms: 20, output_tokens: 200 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    const m = await chatStep(proxy.url, 10_000, controller.signal);
    expect(m.outcome).toBe('cancelled');
    const end = performance.now() + 2000;
    while (mock.stats().aborted === 0 && performance.now() < end) await new Promise((r) => setTimeout(r, 10));
    expect(mock.stats()).toMatchObject({ aborted: 1, inFlight: 0, running: 0 });
  });
});
