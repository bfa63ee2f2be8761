/**
 * Provider behaviours of the mock over real HTTP: rate limits with OpenAI's
 * headers and recovery, latency drift, the fault schedule, the cache and the
 * Prometheus /metrics endpoint.
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { MockProfileInput } from './mock-profile.js';
import { type MockServer, startMockServer } from './mock-server.js';
import { countPromptTokens } from './mock-text.js';

let servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function start(profile: MockProfileInput): Promise<{ server: MockServer; startedAt: number }> {
  const startedAt = performance.now();
  const server = await startMockServer({ profile });
  servers.push(server);
  return { server, startedAt };
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function chat(server: MockServer, content = 'hi', extra: object = {}) {
  const sent = performance.now();
  const res = await request(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }], ...extra }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, ms: performance.now() - sent };
}

/** Parses Prometheus text exposition strictly enough to catch malformed output. */
function parseProm(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        expect(['gauge', 'counter']).toContain(meta[3]);
        typed.add(meta[2] as string);
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? (-?[0-9.e+-]+)$/.exec(
      line,
    );
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const name = (m as RegExpExecArray)[1] as string;
    expect(typed.has(name), `${name} has no TYPE`).toBe(true);
    samples.set(name + ((m as RegExpExecArray)[2] ?? ''), Number((m as RegExpExecArray)[3]));
  }
  return samples;
}

function metric(samples: Map<string, number>, name: string): number {
  for (const [key, value] of samples) if (key === name || key.startsWith(`${name}{`)) return value;
  throw new Error(`no sample ${name}`);
}

async function scrape(server: MockServer) {
  const res = await request(`${server.url}/metrics`);
  expect(res.headers['content-type']).toContain('text/plain; version=0.0.4');
  return parseProm(await res.body.text());
}

describe('rate limits', () => {
  it('refuses beyond the request limit with 429, Retry-After and x-ratelimit-* headers, and recovers at the window end', async () => {
    const { server, startedAt } = await start({
      ttft_ms: 1,
      itl_ms: 0,
      output_tokens: 4,
      rate_limits: { requests: 5, window: '1s' },
    });
    const burst = [];
    for (let i = 0; i < 8; i++) burst.push(await chat(server));
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
    expect(burst.map((r) => r.headers['x-ratelimit-remaining-requests'])).toEqual([
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
      '0',
      '0',
    ]);
    for (const r of burst) expect(r.headers['x-ratelimit-limit-requests']).toBe('5');
    const refused = burst[5] as (typeof burst)[number];
    const sinceStart = performance.now() - startedAt;
    expect(refused.headers['retry-after']).toBe('1');
    const retryMs = Number(refused.headers['retry-after-ms']);
    // The window ends 1 s after server start.
    expect(Math.abs(retryMs - (1000 - sinceStart))).toBeLessThan(60);
    expect(refused.headers['x-ratelimit-reset-requests']).toMatch(/^\d+ms$/);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    // Poll until served again: recovery comes at the window end, not before.
    let recovered = 0;
    let polls429 = 0;
    for (let i = 0; i < 100 && recovered === 0; i++) {
      const r = await chat(server);
      if (r.status === 200) recovered = performance.now() - startedAt;
      else {
        polls429++;
        await sleep(10);
      }
    }
    expect(recovered).toBeGreaterThan(990);
    expect(recovered).toBeLessThan(1100);
    expect(server.stats()).toMatchObject({ rateLimited: 3 + polls429 });
  });

  it('counts prompt + answer tokens against the token limit', async () => {
    const per = countPromptTokens('hi') + 10;
    const { server } = await start({
      ttft_ms: 1,
      itl_ms: 0,
      output_tokens: 10,
      rate_limits: { tokens: 3 * per, window: '10s' },
    });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await chat(server));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(statuses[0]?.headers['x-ratelimit-remaining-tokens']).toBe(String(2 * per));
    expect(statuses[3]?.headers['x-ratelimit-limit-tokens']).toBe(String(3 * per));
    expect(statuses[3]?.headers['retry-after']).toBe('10');
    expect(statuses[3]?.headers['x-ratelimit-reset-tokens']).toMatch(/^9\.\d+s$/);
  });

  it('drifts latency up as usage nears the limit', async () => {
    const { server } = await start({
      ttft_ms: 1,
      itl_ms: 0,
      output_tokens: 2,
      rate_limits: { requests: 10, window: '20s', drift: { from: 0.5, max_delay_ms: 200 } },
    });
    const times = [];
    for (let i = 0; i < 10; i++) times.push((await chat(server)).ms);
    // Request i (0-based) sees usage i/10: no delay up to 0.5, then 200 × (i/10 - 0.5) / 0.5.
    // The first also opens the connection and runs both sides' code cold (28-32 ms here alone),
    // so the time of a request without drift is the median of the next five.
    const undrifted = times.slice(1, 6).sort((a, b) => a - b)[2] as number;
    for (let i = 0; i < 10; i++) {
      const expected = i <= 5 ? 0 : (200 * (i / 10 - 0.5)) / 0.5;
      // libuv timers run on a whole-millisecond clock and can fire up to 1 ms early.
      expect(times[i]).toBeGreaterThanOrEqual(expected - 1);
      if (i > 0) expect(times[i]).toBeLessThan(undrifted + expected + 25);
    }
  });
});

describe('fault schedule', () => {
  it('applies error_rate only inside its window, with the configured status', async () => {
    const { server } = await start({
      ttft_ms: 1,
      itl_ms: 0,
      output_tokens: 2,
      faults: [{ at: '300ms', for: '300ms', kind: 'error_rate', status: 502 }],
    });
    expect((await chat(server)).status).toBe(200);
    await sleep(350);
    const during = await chat(server);
    expect(during.status).toBe(502);
    expect(JSON.parse(during.text)).toMatchObject({ error: { type: 'server_error' } });
    await sleep(300);
    expect((await chat(server)).status).toBe(200);
    expect(server.stats().faulted).toBe(1);
  });

  it('outage answers 503, latency delays the first token, rate hits a share', async () => {
    const outage = (await start({ faults: [{ at: 0, for: '10s', kind: 'outage' }] })).server;
    expect((await chat(outage)).status).toBe(503);
    const slow = (
      await start({
        ttft_ms: 1,
        itl_ms: 0,
        output_tokens: 2,
        faults: [{ at: 0, for: '10s', kind: 'latency', delay_ms: 150 }],
      })
    ).server;
    const delayed = await chat(slow);
    expect(delayed.status).toBe(200);
    expect(delayed.ms).toBeGreaterThanOrEqual(150);
    expect(delayed.ms).toBeLessThan(200);
    const half = (
      await start({
        ttft_ms: 0,
        itl_ms: 0,
        output_tokens: 1,
        faults: [{ at: 0, for: '10s', kind: 'error_rate', rate: 0.5 }],
      })
    ).server;
    let failed = 0;
    for (let i = 0; i < 200; i++) if ((await chat(half)).status === 500) failed++;
    expect(failed).toBeGreaterThan(70);
    expect(failed).toBeLessThan(130);
  });

  it('cuts a stream after N tokens, and stalls one (holding the connection)', async () => {
    const cut = (
      await start({
        ttft_ms: 1,
        itl_ms: 1,
        output_tokens: 20,
        faults: [{ at: 0, for: '10s', kind: 'cut', after_tokens: 3 }],
      })
    ).server;
    const res = await request(`${cut.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true }),
    });
    let text = '';
    const error = await (async () => {
      for await (const chunk of res.body) text += chunk.toString();
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(text.match(/"content":" ?[a-z.]/g)).toHaveLength(3);
    expect(text).not.toContain('[DONE]');

    const stall = (
      await start({
        ttft_ms: 1,
        itl_ms: 1,
        output_tokens: 20,
        faults: [{ at: 0, for: '10s', kind: 'stall', after_tokens: 2 }],
      })
    ).server;
    const stalled = await request(`${stall.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ messages: [{ role: 'user', content: 'x' }], stream: true }),
      bodyTimeout: 300,
    });
    let got = '';
    const timeout = await (async () => {
      for await (const chunk of stalled.body) got += chunk.toString();
    })().catch((e: unknown) => e);
    expect((timeout as { code?: string }).code).toBe('UND_ERR_BODY_TIMEOUT');
    expect(got.match(/"content":" ?[a-z.]/g)).toHaveLength(2);
    expect(stall.stats()).toMatchObject({ faulted: 1, aborted: 0 });
  });
});

describe('cache', () => {
  it('prefix mode skips prefill for cached blocks and says so in headers', async () => {
    const { server } = await start({
      output_tokens: 1,
      cache: { mode: 'prefix', block_tokens: 4 },
      engine: { slots: 4, step_ms: 1, prefill_ms: 0, prefill_ms_per_token: 2 },
    });
    // Five prompts, each new (a miss) and then extended (a hit on its cached blocks). One pair alone
    // was once undone by a pause of the suite's other files on the same cores: the median is judged.
    const saved: number[] = [];
    let cached = 0;
    for (const first of ['one', 'uno', 'eins', 'un', 'yksi']) {
      const prompt = `${first} two three four five six seven eight nine ten eleven twelve`;
      const miss = await chat(server, prompt);
      expect(miss.headers['x-mock-cache']).toBe('miss');
      const hit = await chat(server, `${prompt} and more`);
      expect(hit.headers['x-mock-cache']).toBe('hit');
      cached = Number(hit.headers['x-mock-cached-tokens']);
      expect(cached).toBeGreaterThanOrEqual(8);
      saved.push(miss.ms - hit.ms);
    }
    // 2 ms per uncached prompt token: the hit saves about 2 × cached ms.
    const median = saved.sort((a, b) => a - b)[2] as number;
    expect(median).toBeGreaterThan(2 * cached - 12);
  });

  it('response mode answers a repeated prompt at once', async () => {
    const { server } = await start({ ttft_ms: 200, output_tokens: 5, cache: { mode: 'response' } });
    const first = await chat(server, 'same question');
    const second = await chat(server, 'same question');
    expect(first.headers['x-mock-cache']).toBe('miss');
    expect(second.headers['x-mock-cache']).toBe('hit');
    expect(second.text).toBe(
      first.text
        .replace(/chatcmpl-mock-1/, 'chatcmpl-mock-2')
        .replace(/"created":\d+/, second.text.match(/"created":\d+/)?.[0] ?? ''),
    );
    expect(first.ms).toBeGreaterThanOrEqual(200);
    expect(second.ms).toBeLessThan(50);
  });
});

describe('/metrics', () => {
  it('parses as Prometheus text with vLLM names, and running/waiting move as load rises', async () => {
    const { server } = await start({ output_tokens: 60, engine: { slots: 3, step_ms: 10 } });
    const idle = await scrape(server);
    for (const name of [
      'vllm:num_requests_running',
      'vllm:num_requests_waiting',
      'vllm:gpu_cache_usage_perc',
      'vllm:num_preemptions_total',
      'vllm:request_success_total',
      'vllm:prompt_tokens_total',
      'vllm:generation_tokens_total',
      'tokenstorm:requests_aborted_total',
    ]) {
      expect(metric(idle, name)).toBe(0);
    }
    const wave = (n: number) => Array.from({ length: n }, (_, i) => chat(server, `load ${i}`));
    const first = wave(2);
    await sleep(40);
    const light = await scrape(server);
    expect([metric(light, 'vllm:num_requests_running'), metric(light, 'vllm:num_requests_waiting')]).toEqual([
      2, 0,
    ]);
    const second = wave(5);
    await sleep(40);
    const heavy = await scrape(server);
    expect([metric(heavy, 'vllm:num_requests_running'), metric(heavy, 'vllm:num_requests_waiting')]).toEqual([
      3, 4,
    ]);
    await Promise.all([...first, ...second]);
    const after = await scrape(server);
    expect(metric(after, 'vllm:num_requests_running')).toBe(0);
    expect(after.get('vllm:request_success_total{finished_reason="stop",model_name="mock-model"}')).toBe(7);
    expect(metric(after, 'vllm:generation_tokens_total')).toBe(7 * 60);
  });
});
