import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { createClock } from '../core/index.js';
import { type ExchangeResult, exchange, exchangeThen, type ResponseSink } from './exchange.js';
import { HttpClient } from './http1/index.js';

const dispatcher = new HttpClient();
afterAll(() => dispatcher.close());

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Keeps the body as text. */
class TextSink implements ResponseSink {
  text = '';
  onStart(): void {}
  onData(chunk: Buffer) {
    this.text += chunk.toString('utf8');
    return undefined;
  }
  onEnd() {
    return undefined;
  }
}

function request(url: string) {
  const { origin } = new URL(url);
  return { origin, path: '/x', method: 'GET' as const, headers: {}, timeoutMs: 5_000 };
}

describe('exchange', () => {
  it('resolves with the timed result', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(200).end('hello'));
    const sink = new TextSink();
    const result = await exchange(dispatcher, createClock(), request(server.url), sink);
    expect(result.status).toBe(200);
    expect(result.failure).toBeUndefined();
    expect(result.endAt).toBeGreaterThanOrEqual(result.firstByteAt as number);
    expect((result.firstByteAt as number) >= result.sentAt).toBe(true);
    expect(sink.text).toBe('hello');
  });

  it('exchangeThen resolves with what finish makes of the result, the sink and the context', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(201).end('body'));
    const seen: [ExchangeResult, TextSink, { tag: string }][] = [];
    const context = { tag: 'ctx' };
    const value = await exchangeThen(
      dispatcher,
      createClock(),
      request(server.url),
      new TextSink(),
      (result, sink, ctx) => {
        seen.push([result, sink, ctx]);
        return `${ctx.tag}:${result.status}:${sink.text}`;
      },
      context,
    );
    expect(value).toBe('ctx:201:body');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.[2]).toBe(context);
  });

  it('exchangeThen rejects when finish throws, and still ends the request', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(200).end('ok'));
    const done = exchangeThen(
      dispatcher,
      createClock(),
      request(server.url),
      new TextSink(),
      () => {
        throw new Error('finish failed');
      },
      undefined,
    );
    await expect(done).rejects.toThrow('finish failed');
    // The connection is free for the next request.
    const next = await exchange(dispatcher, createClock(), request(server.url), new TextSink());
    expect(next.status).toBe(200);
  });

  it('a failed request reaches finish too, classified', async () => {
    server = await startFixtureServer((req) => req.socket.destroy());
    const failure = await exchangeThen(
      dispatcher,
      createClock(),
      request(server.url),
      new TextSink(),
      (result) => result.failure?.kind,
      undefined,
    );
    // The server closed the connection before any response: a connection error, not a stream one.
    expect(failure).toBe('connection');
  });
});
