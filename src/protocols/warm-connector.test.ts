import { createServer, type Server, type Socket } from 'node:net';
import { Agent, buildConnector, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpClient } from './http1/index.js';
import { WarmConnector } from './warm-connector.js';

/**
 * A server that writes a bogus 418 on the first connection it accepts, before any request, and
 * answers every request with 200: a client that reads the 418 as an answer is out of step.
 */
async function greetingServer(): Promise<{ server: Server; origin: string; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket: Socket) => {
    if (accepted++ === 0) socket.write('HTTP/1.1 418 I am a teapot\r\ncontent-length: 5\r\n\r\nbogus');
    socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}`, accepted: () => accepted };
}

/** An HTTP/1.1 server that counts the connections it accepted and answers every request with 200. */
async function countingServer(): Promise<{ server: Server; origin: string; accepted: () => number }> {
  let accepted = 0;
  const server = createServer((socket: Socket) => {
    accepted++;
    socket.on('data', () => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}`, accepted: () => accepted };
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
});

describe('WarmConnector', () => {
  it('opens the connections asked for, in batches, and hands them to undici before opening new ones', async () => {
    const { server, origin, accepted } = await countingServer();
    const connector = new WarmConnector();
    const agent = new Agent({ connections: null, connect: connector.connect });
    open.push(
      agent,
      { close: () => connector.close() },
      { close: () => new Promise((r) => server.close(r)) },
    );
    // More than one batch (128), so the batching loop runs more than once.
    expect(await connector.warm(origin, 300)).toBe(300);
    // The server has seen them once the accepts are processed.
    for (let i = 0; i < 50 && accepted() < 300; i++) await new Promise((r) => setTimeout(r, 10));
    expect(accepted()).toBe(300);
    const atOnce = (n: number) =>
      Promise.all(
        Array.from({ length: n }, () =>
          request(`${origin}/`, { dispatcher: agent }).then((r) => r.body.text()),
        ),
      );
    // 300 requests at once: undici needs 300 connections and every one is a pre-opened socket.
    expect((await atOnce(300)).every((body) => body === 'ok')).toBe(true);
    expect(accepted()).toBe(300);
    // Past the pre-opened ones, a new connection is made as usual (once undici has seen the 300
    // idle again: it checks an idle keep-alive socket on the next turn before reusing it).
    await new Promise((r) => setTimeout(r, 20));
    await atOnce(301);
    expect(accepted()).toBe(301);
  });

  it('discards a pre-opened connection the server wrote to before any request (undici)', async () => {
    const { server, origin, accepted } = await greetingServer();
    const connector = new WarmConnector();
    const agent = new Agent({ connect: connector.connect });
    open.push(
      agent,
      { close: () => connector.close() },
      { close: () => new Promise((r) => server.close(r)) },
    );
    expect(await connector.warm(origin, 1)).toBe(1);
    // Long enough for the stray bytes to arrive while the connection waits: unambiguous.
    await new Promise((r) => setTimeout(r, 300));
    const res = await request(`${origin}/`, { dispatcher: agent });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
    expect(accepted()).toBe(2);
  });

  it('discards a pre-opened connection the server wrote to before any request (own client)', async () => {
    const { server, origin, accepted } = await greetingServer();
    const client = new HttpClient();
    open.push({ close: () => client.destroy() }, { close: () => new Promise((r) => server.close(r)) });
    expect(await client.warm(origin, 1)).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    const status = await new Promise<number>((resolve, reject) => {
      client.dispatch(
        { origin, path: '/', method: 'GET' },
        {
          onResponseStart: (_c, code) => resolve(code),
          onResponseError: (_c, err) => reject(err),
        },
      );
    });
    expect(status).toBe(200);
    expect(accepted()).toBe(2);
  });

  it('stops after the first batch that failed: a dead target costs one batch of connects, not a thousand', async () => {
    const { server, origin } = await countingServer();
    await new Promise((r) => server.close(r));
    let attempts = 0;
    const real = buildConnector({ timeout: 1000 });
    const connector = new WarmConnector(1000, (options, callback) => {
      attempts++;
      real(options, callback);
    });
    expect(await connector.warm(origin, 1000)).toBe(0);
    expect(attempts).toBe(128);
    connector.close();
  });
});
