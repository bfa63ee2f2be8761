import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type FixtureServer,
  readBody,
  sseChunk,
  startFixtureServer,
} from '../../test/support/fixture-server.js';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { isAborted } from './exchange.js';
import { HttpClient } from './http1/index.js';
import { DEFAULT_LIMITS, setResponseLimits } from './limits.js';
import { compileStep, runStep } from './steps.js';

const dispatcher = new HttpClient();
afterAll(() => dispatcher.close());

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function chatStep(target: string, extra: Record<string, unknown> = {}, timeout = 5_000) {
  const test = parseTest(
    {
      target,
      scenarios: [
        {
          name: 's',
          steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra } }],
        },
      ],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
  return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, { target, headers: {}, timeoutMs: timeout });
}

function run(step: ReturnType<typeof chatStep>, signal?: AbortSignal) {
  return runStep(step, { dispatcher, clock: createClock(), signal });
}

describe('runStep against misbehaving servers', () => {
  it('classifies a 500 as http_5xx with the body in the message', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}');
    });
    const m = await run(chatStep(server.url));
    expect(m).toMatchObject({ outcome: 'error', error: 'http_5xx', status: 500 });
    expect(m.message).toContain('boom');
  });

  it('classifies a 429 as rate_limited', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(429, { 'retry-after': '1' }).end());
    expect(await run(chatStep(server.url))).toMatchObject({ outcome: 'error', error: 'rate_limited' });
  });

  it('classifies a stream cut mid-way as stream_error and keeps what arrived', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' one');
      sseChunk(res, ' two');
      setTimeout(() => res.socket?.destroy(), 30);
    });
    const m = await run(chatStep(server.url));
    expect(m).toMatchObject({ outcome: 'error', error: 'stream_error', chunks: 2, outputTokensClient: 2 });
    expect(m.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it('classifies malformed SSE data as stream_error', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' fine');
      res.write('data: {this is not json\n\n');
      setTimeout(() => res.end('data: [DONE]\n\n'), 20);
    });
    const m = await run(chatStep(server.url));
    expect(m).toMatchObject({ outcome: 'error', error: 'stream_error' });
    expect(m.message).toContain('malformed SSE');
  });

  it('treats a stream that ends without [DONE] or finish_reason as stream_error', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' half');
      res.end();
    });
    expect(await run(chatStep(server.url))).toMatchObject({ outcome: 'error', error: 'stream_error' });
  });

  it('reports a stalled server as timeout after the step timeout', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(': keep-alive\n\n');
    });
    const step = chatStep(server.url, {}, 300);
    const before = performance.now();
    const m = await run(step);
    expect(m).toMatchObject({ outcome: 'error', error: 'timeout' });
    // The timeout counts from the send call; e2e from when undici wrote the request, after it
    // connected (over 10 ms once in a full parallel suite), so the lower bound is on the wall clock.
    expect(performance.now() - before).toBeGreaterThanOrEqual(299);
    expect(m.e2eMs).toBeGreaterThan(200);
    expect(m.e2eMs).toBeLessThan(2_000);
  });

  it('reports a refused connection as connection', async () => {
    const closed = await startFixtureServer(() => undefined);
    const url = closed.url;
    await closed.close();
    expect(await run(chatStep(url))).toMatchObject({ outcome: 'error', error: 'connection' });
  });

  it('passes a 1 MB SSE event at the default limits, and ends a line over a configured limit as stream_error', async () => {
    const big = JSON.stringify({ choices: [{ index: 0, delta: { content: 'a word '.repeat(150_000) } }] });
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${big}\n\n`);
      res.write('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n');
      res.end('data: [DONE]\n\n');
    });
    expect(await run(chatStep(server.url))).toMatchObject({ outcome: 'ok', chunks: 1 });
    setResponseLimits({ maxSseEventBytes: 64 * 1024 });
    try {
      const m = await run(chatStep(server.url));
      expect(m).toMatchObject({ outcome: 'error', error: 'stream_error' });
      expect(m.message).toContain('exceeds 65536 characters');
    } finally {
      setResponseLimits(DEFAULT_LIMITS);
    }
  });

  it('stops reading an error body at the body limit, keeping its status kind', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' });
      const block = Buffer.alloc(64 * 1024, 'e');
      for (let i = 0; i < 8; i++) res.write(block);
      res.end();
    });
    setResponseLimits({ maxBodyBytes: 128 * 1024 });
    try {
      const m = await run(chatStep(server.url, { stream: false }));
      expect(m).toMatchObject({ outcome: 'error', error: 'http_5xx', status: 503 });
      expect(m.message).toContain('body exceeds 131072 bytes');
    } finally {
      setResponseLimits(DEFAULT_LIMITS);
    }
  });

  it('stops reading a body over the size limit and calls it truncated', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const block = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 20; i++) res.write(block);
      res.end();
    });
    const m = await run(chatStep(server.url, { stream: false }));
    expect(m).toMatchObject({ outcome: 'error', error: 'truncated' });
  });

  it('counts a client-side cancellation as cancelled, not an error', async () => {
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' start');
    });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const m = await run(chatStep(server.url), abort.signal);
    expect(m.outcome).toBe('cancelled');
    expect(m.error).toBeUndefined();
    expect(m.chunks).toBe(1);
  });

  it('cancels every request in flight under one signal, and none that already ended', async () => {
    // Requests with "hang" in the prompt stall after one chunk; the others complete.
    server = await startFixtureServer(async (req, res) => {
      const hang = (await readBody(req)).includes('hang');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' start');
      if (!hang) {
        res.write('data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n');
        res.end('data: [DONE]\n\n');
      }
    });
    const stalled = chatStep(server.url, { messages: [{ role: 'user', content: 'hang' }] });
    const quick = chatStep(server.url);
    const abort = new AbortController();
    const finished = await Promise.all(Array.from({ length: 5 }, () => run(quick, abort.signal)));
    const pending = Array.from({ length: 20 }, (_, i) => run(i % 2 ? stalled : quick, abort.signal));
    await new Promise((resolve) => setTimeout(resolve, 150));
    abort.abort();
    const ended = await Promise.all(pending);
    expect(finished.map((m) => m.outcome)).toEqual(Array(5).fill('ok'));
    expect(ended.filter((m) => m.outcome === 'cancelled')).toHaveLength(10);
    expect(ended.filter((m) => m.outcome === 'ok')).toHaveLength(10);
    // A signal aborted before the send cancels at once.
    expect((await run(quick, abort.signal)).outcome).toBe('cancelled');
  });

  it('knows a signal aborted before its first request, and one aborted later', async () => {
    server = await startFixtureServer((_req, res) => res.end('ok'));
    const early = new AbortController();
    early.abort();
    expect(isAborted(early.signal)).toBe(true);
    expect((await run(chatStep(server.url), early.signal)).outcome).toBe('cancelled');
    const later = new AbortController();
    expect(isAborted(later.signal)).toBe(false);
    later.abort();
    expect(isAborted(later.signal)).toBe(true);
    expect(isAborted(undefined)).toBe(false);
  });
});

describe('runStep timing and tokens', () => {
  it('asks for usage, ignores role-only chunks for TTFT and keeps both token counts', async () => {
    let requestBody = '';
    server = await startFixtureServer(async (req, res) => {
      requestBody = await readBody(req);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { role: 'assistant', content: '' } }] })}\n\n`);
      setTimeout(() => sseChunk(res, ' alpha'), 60);
      setTimeout(() => sseChunk(res, ' beta'), 80);
      setTimeout(() => {
        res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
        // The server claims 7 tokens; the client counts 2: the mismatch must stay visible.
        res.write(
          `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 7 } })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      }, 100);
    });
    const m = await run(chatStep(server.url, { max_tokens: 5 }));
    expect(JSON.parse(requestBody)).toMatchObject({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 5,
    });
    expect(m.outcome).toBe('ok');
    expect(m.ttfbMs).toBeLessThan(40);
    expect(m.ttftMs).toBeGreaterThanOrEqual(55);
    expect(m.itlMs).toHaveLength(1);
    expect(m.itlMs?.[0]).toBeGreaterThanOrEqual(10);
    expect(m).toMatchObject({ chunks: 2, inputTokens: 3, outputTokens: 7, outputTokensClient: 2 });
    expect(m.tpotMs).toBeCloseTo(((m.e2eMs as number) - (m.ttftMs as number)) / 6, 2);
  });

  it('takes TTFT equal to E2E for a non-streaming answer', async () => {
    server = await startFixtureServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            choices: [{ message: { role: 'assistant', content: ' the answer' }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 1, completion_tokens: 2 },
          }),
        );
      }, 50);
    });
    const m = await run(chatStep(server.url, { stream: false }));
    expect(m.outcome).toBe('ok');
    expect(m.ttftMs).toBe(m.e2eMs);
    expect(m).toMatchObject({ outputTokens: 2, outputTokensClient: 2 });
  });
});

describe('plain HTTP steps', () => {
  function httpStep(target: string, http: Record<string, unknown>) {
    const test = parseTest(
      {
        target,
        scenarios: [{ name: 's', steps: [{ http }] }],
        load: { executor: 'constant-vus', vus: 1, iterations: 1 },
      },
      'inline',
    );
    return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, { target, headers: {}, timeoutMs: 5_000 });
  }

  it('appends a path to the target and sends a JSON body', async () => {
    let seen = { url: '', method: '', body: '', type: '' };
    server = await startFixtureServer(async (req, res) => {
      seen = {
        url: req.url ?? '',
        method: req.method ?? '',
        body: await readBody(req),
        type: req.headers['content-type'] ?? '',
      };
      res.end('ok');
    });
    const m = await run(
      httpStep(`${server.url}/v1`, { method: 'POST', url: '/items?x=1', body: { a: 1 } }) as never,
    );
    expect(m).toMatchObject({ outcome: 'ok', status: 200 });
    expect(seen).toEqual({ url: '/v1/items?x=1', method: 'POST', body: '{"a":1}', type: 'application/json' });
    expect(m.ttftMs).toBeUndefined();
  });

  it('fails an unexpected status with check_failed', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(201).end());
    const m = await run(httpStep(server.url, { url: '/', expect_status: 200 }) as never);
    expect(m).toMatchObject({ outcome: 'error', error: 'check_failed' });
  });
});

describe('compileStep', () => {
  const defaults = {
    target: 'http://127.0.0.1:9/v1',
    headers: { authorization: 'Bearer k' },
    timeoutMs: 5_000,
  };

  it('builds a chat body in a fixed key order, with the step body overriding and extending it', () => {
    const step = compileStep(
      {
        chat: {
          model: 'm',
          stream: true,
          max_tokens: 8,
          temperature: 0,
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: [{ type: 'text', text: 'hi' }] },
          ],
          body: { model: 'other', extra: true },
          headers: { 'x-id': 'it1' },
        },
      } as never,
      2,
      defaults,
    );
    expect(step.body).toBe(
      '{"model":"other","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":8,"temperature":0,"extra":true}',
    );
    expect(step).toMatchObject({
      index: 2,
      kind: 'chat',
      origin: 'http://127.0.0.1:9',
      path: '/v1/chat/completions',
    });
    expect(step.headers).toEqual({
      'content-type': 'application/json',
      authorization: 'Bearer k',
      'x-id': 'it1',
      accept: 'text/event-stream',
    });
    // The prompt text counted is every message's content, a non-string one as JSON, one per line.
    expect(step.inputTokensClient).toBeGreaterThan(3);
  });

  it('resolves each path against the target, absolute URLs as they are, a templated path per iteration', () => {
    const http = (url: string) =>
      compileStep({ http: { method: 'GET', url } } as never, 0, defaults) as { origin: string; path: string };
    // The same base with other paths (a URL templated per iteration) must not share an endpoint.
    for (let i = 0; i < 3; i++) expect(http(`/items/${i}?q=${i}`).path).toBe(`/v1/items/${i}?q=${i}`);
    expect(http('items')).toMatchObject({ origin: 'http://127.0.0.1:9', path: '/v1/items' });
    expect(http('https://example.test:8443/a?b=1')).toEqual(
      expect.objectContaining({ origin: 'https://example.test:8443', path: '/a?b=1' }),
    );
    const other = compileStep({ http: { method: 'GET', url: '/items/1' } } as never, 0, {
      ...defaults,
      target: 'http://127.0.0.2:9/',
    });
    expect(other).toMatchObject({ origin: 'http://127.0.0.2:9', path: '/items/1' });
  });

  it('counts an absent message content as empty text, not as "undefined"', () => {
    const step = (content: unknown) =>
      compileStep(
        { chat: { model: 'm', stream: false, messages: [{ role: 'user', content }] } } as never,
        0,
        defaults,
      );
    expect(step(undefined).inputTokensClient).toBe(0);
    expect(step('hello').inputTokensClient).toBe(1);
  });
});
