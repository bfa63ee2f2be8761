/**
 * Compressed answers from loopback servers: gzip, deflate (zlib-wrapped and
 * raw) and br bodies decoded as they stream, TTFT at the first decoded event,
 * bad or cut compressed bodies as `stream_error`, the size limit on the
 * decoded body.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { brotliCompressSync, constants, createGzip, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { HttpClient } from './http1/index.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { CompiledStep } from './step-kind.js';
import { compileStep, runStep, sendStep } from './steps.js';

const dispatcher = new HttpClient();
afterAll(() => dispatcher.close());

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  server = await startFixtureServer((req, res) => {
    req.resume();
    handler(req, res);
  });
  return server.url;
}

function compile(target: string, step: Record<string, unknown>): CompiledStep {
  const test = parseTest(
    {
      target,
      scenarios: [{ name: 's', steps: [step] }],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
  return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, { target, headers: {}, timeoutMs: 5_000 });
}

const chat = (extra: Record<string, unknown> = {}) => ({
  chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra },
});

const run = (step: CompiledStep) => runStep(step, { dispatcher, clock: createClock() });

const ANSWER = JSON.stringify({
  choices: [{ message: { role: 'assistant', content: 'hello there' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 2 },
});

function event(content: string): string {
  return `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
}
const STOP = `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`;

describe('compressed answers', () => {
  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ] as const)('decodes a %s JSON answer and records the encoding', async (encoding, compress) => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding });
      res.end(compress(Buffer.from(ANSWER)));
    });
    const m = await run(compile(url, chat({ stream: false })));
    expect(m).toMatchObject({ outcome: 'ok', status: 200, encoding, outputTokens: 2, outputTokensClient: 2 });
  });

  it('decodes raw deflate, which some servers send as "deflate"', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'deflate' });
      res.end(deflateRawSync(Buffer.from(ANSWER)));
    });
    expect(await run(compile(url, chat({ stream: false })))).toMatchObject({
      outcome: 'ok',
      encoding: 'deflate',
    });
  });

  it('decodes a gzip SSE stream as it arrives: TTFT at the first event, ITL between decoded events', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      const send = (text: string) => {
        gzip.write(text);
        gzip.flush(constants.Z_SYNC_FLUSH);
      };
      setTimeout(() => send(event(' first')), 150);
      setTimeout(() => send(event(' second')), 900);
      setTimeout(() => {
        send(event(' third'));
        gzip.end(STOP);
      }, 1000);
    });
    const m = await run(compile(url, chat()));
    expect(m).toMatchObject({ outcome: 'ok', encoding: 'gzip', chunks: 3, outputTokensClient: 3 });
    // The first event was decoded when it came, not with the rest of the stream.
    expect(m.ttftMs).toBeGreaterThanOrEqual(145);
    expect(m.ttftMs).toBeLessThan(850);
    expect(m.itlMs?.[0]).toBeGreaterThanOrEqual(50);
    expect(m.e2eMs).toBeGreaterThanOrEqual(995);
  });

  it('decodes a br SSE stream sent in pieces', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'br' });
      const body = brotliCompressSync(Buffer.from(event(' a') + event(' b') + STOP));
      res.write(body.subarray(0, 5));
      setTimeout(() => res.end(body.subarray(5)), 20);
    });
    expect(await run(compile(url, chat()))).toMatchObject({ outcome: 'ok', chunks: 2, encoding: 'br' });
  });

  it('gives a corrupt gzip body stream_error with a clear message', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      res.end('data: this was never gzip\n\n');
    });
    const m = await run(compile(url, chat()));
    expect(m).toMatchObject({ outcome: 'error', error: 'stream_error', encoding: 'gzip' });
    expect(m.message).toMatch(/^cannot decode the gzip body: /);
  });

  it('gives a gzip body that stops short of its end stream_error', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      const whole = gzipSync(Buffer.from(ANSWER));
      res.end(whole.subarray(0, whole.length - 12));
    });
    const m = await run(compile(url, chat({ stream: false })));
    expect(m).toMatchObject({ outcome: 'error', error: 'stream_error' });
    expect(m.message).toContain('cannot decode the gzip body');
  });

  it('applies the body size limit to the decoded body (a zip bomb is truncated)', async () => {
    const bomb = gzipSync(Buffer.alloc(DEFAULT_LIMITS.maxBodyBytes + 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100_000);
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const m = await run(compile(url, chat({ stream: false })));
    expect(m).toMatchObject({ outcome: 'error', error: 'truncated' });
  });

  it('decodes the body of an error status and of an http step, and passes an unknown encoding through', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/v1/chat/completions') {
        res.writeHead(503, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        return void res.end(gzipSync(Buffer.from('{"error":"overloaded, try later"}')));
      }
      if (req.url === '/odd') {
        res.writeHead(200, { 'content-encoding': 'compress' });
        return void res.end('as is');
      }
      res.writeHead(200, { 'content-encoding': 'GZip' });
      res.end(gzipSync(Buffer.from('{"token":"t"}')));
    });
    const failed = await run(compile(`${url}/v1`, chat()));
    expect(failed).toMatchObject({ outcome: 'error', error: 'http_5xx', encoding: 'gzip' });
    expect(failed.message).toContain('overloaded, try later');
    const http = await sendStep(
      compile(url, { http: { method: 'GET', url: '/t' } }),
      {
        dispatcher,
        clock: createClock(),
      },
      { keepBody: true },
    );
    expect(http.measurement).toMatchObject({ outcome: 'ok', encoding: 'gzip' });
    expect(http.response.body).toBe('{"token":"t"}');
    const odd = await sendStep(
      compile(url, { http: { method: 'GET', url: '/odd' } }),
      {
        dispatcher,
        clock: createClock(),
      },
      { keepBody: true },
    );
    expect(odd.measurement).toMatchObject({ outcome: 'ok', encoding: 'compress' });
    expect(odd.response.body).toBe('as is');
  });

  it('sends no Accept-Encoding of its own, and the one a step sets', async () => {
    const seen: (string | undefined)[] = [];
    const url = await serve((req, res) => {
      seen.push(req.headers['accept-encoding']);
      res.end('ok');
    });
    await run(compile(url, { http: { method: 'GET', url: '/' } }));
    await run(
      compile(url, { http: { method: 'GET', url: '/', headers: { 'accept-encoding': 'gzip, br' } } }),
    );
    expect(seen).toEqual([undefined, 'gzip, br']);
  });

  it('times out a stalled compressed stream, and cancels one with the test', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
      const gzip = createGzip();
      gzip.pipe(res);
      gzip.write(event(' only'));
      gzip.flush(constants.Z_SYNC_FLUSH);
    });
    const step = { ...compile(url, chat()), timeoutMs: 300 };
    const timedOut = await run(step);
    expect(timedOut).toMatchObject({ outcome: 'error', error: 'timeout', chunks: 1 });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 150);
    const cancelled = await runStep(compile(url, chat()), {
      dispatcher,
      clock: createClock(),
      signal: abort.signal,
    });
    expect(cancelled).toMatchObject({ outcome: 'cancelled', chunks: 1 });
  });
});
