/**
 * The continuous-batching engine against real HTTP on loopback: measured
 * saturation vs theoretical capacity, /metrics gauges under load, KV-cache
 * limits, preemption and the waiting-queue maximum.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { theoreticalCapacity } from './capacity.js';
import type { MockProfileInput } from './mock-profile.js';
import { type MockServer, startMockServer } from './mock-server.js';
import { countPromptTokens } from './mock-text.js';

const agent = new Agent({ connections: 512, keepAliveTimeout: 10_000 });
let servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
afterAll(() => agent.close());

async function start(profile: MockProfileInput): Promise<MockServer> {
  const server = await startMockServer({ profile });
  servers.push(server);
  return server;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROMPT =
  'Explain continuous batching and the KV cache of an inference server in two short sentences please.';

/** Sends one chat request; resolves with its status (or -1 when the server went away). */
function send(server: MockServer, body: object): Promise<number> {
  return request(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    dispatcher: agent,
  }).then(
    async (res) => {
      await res.body.dump();
      return res.statusCode;
    },
    () => -1,
  );
}

/** Sends at a constant rate for `ms` (open loop); calls `sample` once a second. */
async function openLoop(server: MockServer, rate: number, ms: number, sample: (s: number) => void) {
  const body = { model: 'm', messages: [{ role: 'user', content: PROMPT }] };
  const begin = performance.now();
  let sent = 0;
  let nextSample = 1;
  const pending: Promise<number>[] = [];
  for (;;) {
    const elapsed = performance.now() - begin;
    if (elapsed >= ms) break;
    while (sent < (elapsed / 1000) * rate) {
      pending.push(send(server, body));
      sent++;
    }
    if (elapsed >= nextSample * 1000) sample(nextSample++);
    await sleep(2);
  }
  sample(nextSample);
  return pending;
}

describe('inference engine capacity', () => {
  it('saturates within 10% of theoreticalCapacity: the queue grows above it, not below', async () => {
    const profile = {
      output_tokens: 20,
      engine: { slots: 8, step_ms: 4, step_ms_per_running: 0.5, prefill_ms: 2, prefill_ms_per_token: 0.05 },
    };
    const probe = await start(profile);
    const capacity = theoreticalCapacity(probe.profile, {
      promptTokens: countPromptTokens(PROMPT),
      outputTokens: 20,
    });
    expect(capacity.requestsPerS).toBeGreaterThan(30);
    expect(capacity.requestsPerS).toBeLessThan(60);
    const growth: Record<string, number> = {};
    const served: Record<string, number> = {};
    // Each rate on a fresh server for 3 s; growth = waiting-queue slope between 1 s and 3 s.
    for (const factor of [0.8, 0.9, 1.1, 1.2]) {
      const server = await start(profile);
      let waitingAt1 = 0;
      let completedAt1 = 0;
      const rate = factor * capacity.requestsPerS;
      const pending = await openLoop(server, rate, 3000, (second) => {
        const s = server.stats();
        if (second === 1) {
          waitingAt1 = s.waiting;
          completedAt1 = s.completed;
        } else if (second === 3) {
          growth[factor] = (s.waiting - waitingAt1) / 2;
          served[factor] = (s.completed - completedAt1) / 2;
        }
      });
      await server.close();
      await Promise.all(pending);
    }
    const threshold = 0.04 * capacity.requestsPerS;
    // Below capacity the queue stays flat and everything offered is served.
    expect(growth[0.8]).toBeLessThan(threshold);
    expect(growth[0.9]).toBeLessThan(threshold);
    expect(served[0.9]).toBeGreaterThan(0.9 * 0.9 * capacity.requestsPerS);
    // Above it the queue grows by about the excess, and throughput is the capacity.
    expect(growth[1.1]).toBeGreaterThan(threshold);
    expect(growth[1.2]).toBeGreaterThan(threshold);
    for (const factor of [1.1, 1.2]) {
      expect(Math.abs((served[factor] as number) / capacity.requestsPerS - 1)).toBeLessThan(0.1);
    }
    console.log(
      `capacity ${capacity.requestsPerS.toFixed(2)}/s; queue growth/s ${JSON.stringify(growth)}; served/s ${JSON.stringify(served)}`,
    );
  }, 30_000);
});

describe('inference engine limits', () => {
  it('grows inter-token latency with the batch: itl = step_ms + step_ms_per_running × running', async () => {
    const server = await start({
      output_tokens: 30,
      engine: { slots: 16, step_ms: 5, step_ms_per_running: 2, prefill_ms: 0, prefill_ms_per_token: 0 },
    });
    const one = performance.now();
    expect(await send(server, { messages: [{ role: 'user', content: 'a' }] })).toBe(200);
    const single = performance.now() - one;
    const eight = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, (_, i) => send(server, { messages: [{ role: 'user', content: `q${i}` }] })),
    );
    const batched = performance.now() - eight;
    expect(statuses.every((s) => s === 200)).toBe(true);
    // 30 steps of 5 + 2×1 = 7 ms vs 5 + 2×8 = 21 ms.
    expect(single).toBeGreaterThan(30 * 7 - 5);
    expect(single).toBeLessThan(30 * 7 + 60);
    expect(batched).toBeGreaterThan(30 * 21 - 5);
    expect(batched).toBeLessThan(30 * 21 + 80);
  });

  it('waits for KV cache, refuses beyond max_waiting with the configured status, and never over-fills', async () => {
    const prompt = 'hello there';
    const p = countPromptTokens(prompt);
    const server = await start({
      output_tokens: 10,
      engine: { slots: 2, step_ms: 5, kv_cache_tokens: 2 * (p + 10), max_waiting: 2, queue_full_status: 429 },
    });
    const body = { messages: [{ role: 'user', content: prompt }] };
    const all = Array.from({ length: 6 }, () => send(server, body));
    await sleep(20);
    const busy = server.stats();
    expect(busy).toMatchObject({ running: 2, waiting: 2, rejected: 2, kvUsedTokens: 2 * (p + 10) });
    expect((await Promise.all(all)).sort()).toEqual([200, 200, 200, 200, 429, 429]);
    expect(server.stats()).toMatchObject({ running: 0, waiting: 0, kvUsedTokens: 0, completed: 4 });
    const tooLarge = await send(server, {
      ...body,
      max_tokens: 10,
      messages: [{ role: 'user', content: 'x '.repeat(40) }],
    });
    expect(tooLarge).toBe(400);
  });

  it('preempts the newest request when the KV cache runs out, and still completes every answer', async () => {
    const server = await start({
      output_tokens: 40,
      engine: { slots: 4, step_ms: 2, kv_cache_tokens: 100, preemption: true },
    });
    const statuses = await Promise.all(
      Array.from({ length: 4 }, (_, i) => send(server, { messages: [{ role: 'user', content: `n${i}` }] })),
    );
    expect(statuses).toEqual([200, 200, 200, 200]);
    const s = server.stats();
    expect(s.preemptions).toBeGreaterThan(0);
    expect(s).toMatchObject({ completed: 4, kvUsedTokens: 0, generationTokens: 160 });
  });
});
