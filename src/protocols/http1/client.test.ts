import { createHash, randomBytes } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createClock } from '../../core/index.js';
import { createRng } from '../../random/index.js';
import { classifyTransportError } from '../errors.js';
import { exchange } from '../exchange.js';
import {
  HttpClient,
  type HttpClientOptions,
  type RequestController,
  type RequestHandler,
  type RequestOptions,
} from './index.js';

/** Servers and clients a test opened, ended after it (the last opened first). */
const opened: (() => unknown)[] = [];
afterEach(async () => {
  for (const end of opened.splice(0).reverse()) await end();
});

interface Listening {
  origin: string;
  /** Every connection the server accepted, in order (its length counts them). */
  connections: Socket[];
}

async function listen(server: Server): Promise<Listening> {
  const connections: Socket[] = [];
  server.on('connection', (socket: Socket) => {
    connections.push(socket);
    // The client may cut a connection the server still writes to.
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  opened.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { origin: `http://127.0.0.1:${port}`, connections };
}

/** A node:http server: the reference for normal behaviour. */
function httpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Listening> {
  return listen(createHttpServer(handler));
}

interface RawRequest {
  method: string;
  path: string;
  /** The request as received, head and body, in latin1 (one char a byte). */
  text: string;
}

/** A TCP server that answers each request (head plus a `content-length` body) with bytes the test writes. */
async function rawServer(answer: (socket: Socket, request: RawRequest) => void) {
  const requests: RawRequest[] = [];
  let received = '';
  const server = createNetServer((socket) => {
    socket.setNoDelay(true);
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      buffered += chunk.toString('latin1');
      // Each turn takes one whole request off the buffer or waits for more.
      while (buffered.length > 0) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        const text = buffered.slice(0, end + 4 + length);
        buffered = buffered.slice(text.length);
        const [method = '', path = ''] = text.slice(0, text.indexOf('\r\n')).split(' ');
        const request = { method, path, text };
        requests.push(request);
        answer(socket, request);
      }
    });
  });
  return { ...(await listen(server)), requests, received: () => received };
}

/** An origin nothing listens on. */
async function deadOrigin(): Promise<string> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

function newClient(options?: HttpClientOptions): HttpClient {
  const client = new HttpClient(options);
  opened.push(() => client.destroy());
  return client;
}

/** With `connections: 1`: a request to `path`, and one to `/queued` waiting behind it for its connection. */
function firstAndQueued(origin: string, path: string): Promise<[Outcome, Outcome]> {
  const client = newClient({ connections: 1 });
  return Promise.all([send(client, { origin, path }), send(client, { origin, path: '/queued' })]);
}

/** What the handler heard for one request. */
interface Outcome {
  status: number | undefined;
  headers: IncomingHttpHeaders | undefined;
  /** The data chunks, concatenated. */
  body: Buffer;
  trailers: IncomingHttpHeaders | undefined;
  error: (Error & { code?: string }) | undefined;
  /** The handler's calls in order, repeated `data` calls as one. */
  calls: string[];
}

/** Dispatches one request; resolves at its end or its error, with what the handler heard. */
function send(
  client: HttpClient,
  options: Partial<RequestOptions> & { origin: string },
  hooks: RequestHandler = {},
): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const outcome: Outcome = {
      status: undefined,
      headers: undefined,
      body: Buffer.alloc(0),
      trailers: undefined,
      error: undefined,
      calls: [],
    };
    const settle = () => {
      outcome.body = Buffer.concat(chunks);
      resolve(outcome);
    };
    client.dispatch(
      { path: '/', method: 'GET', ...options },
      {
        onRequestQueued(controller) {
          hooks.onRequestQueued?.(controller);
        },
        onRequestStart(controller, context) {
          outcome.calls.push('requestStart');
          hooks.onRequestStart?.(controller, context);
        },
        onResponseStart(controller, status, headers) {
          outcome.calls.push('responseStart');
          outcome.status = status;
          outcome.headers = headers;
          hooks.onResponseStart?.(controller, status, headers);
        },
        onResponseData(controller, chunk) {
          if (outcome.calls.at(-1) !== 'data') outcome.calls.push('data');
          chunks.push(Buffer.from(chunk)); // valid only during the call
          hooks.onResponseData?.(controller, chunk);
        },
        onResponseEnd(_controller, trailers) {
          outcome.calls.push('end');
          outcome.trailers = trailers;
          settle();
        },
        onResponseError(_controller, error) {
          outcome.calls.push('error');
          outcome.error = error;
          settle();
        },
      },
    );
  });
}

function expectBody(outcome: Outcome, status: number, body: string): void {
  expect(outcome.error).toBeUndefined();
  expect(outcome.status).toBe(status);
  expect(outcome.body.toString('latin1')).toBe(body);
  expect(outcome.calls.at(-1)).toBe('end');
}

/** Polls `condition` every 5 ms, at most `ms`; the caller asserts what it waited for. */
async function until(condition: () => boolean, ms = 2_000): Promise<void> {
  for (let waited = 0; waited < ms && !condition(); waited += 5) await sleep(5);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const ok = (body: string) => `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

/** A hang is a failure: every test here is done in well under this. */
const BOUND = { timeout: 5_000 };

describe('HttpClient response framing', BOUND, () => {
  it('reads a content-length body, with repeated headers as arrays and names in lower case', async () => {
    const server = await rawServer((socket) =>
      socket.write(
        'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\nX-Mixed:  padded  \r\n\r\nhello world',
      ),
    );
    const outcome = await send(newClient(), { origin: server.origin });
    expectBody(outcome, 200, 'hello world');
    expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'data', 'end']);
    expect(outcome.headers).toMatchObject({
      'content-length': '11',
      'set-cookie': ['a=1', 'b=2'],
      'x-mixed': 'padded',
    });
  });

  it('reads each head afresh when it differs from the last by a byte, and hands out headers nobody can change', async () => {
    // The same head but for the length, then the same again: a repeat may be served from the last parse.
    const server = await rawServer((socket, request) => {
      const body = request.path === '/long' ? 'longer' : 'short';
      socket.write(`HTTP/1.1 200 OK\r\nx-a: 1\r\nx-a: 2\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    });
    const client = newClient({ connections: 1 });
    for (const path of ['/short', '/long', '/long', '/short', '/short', '/long']) {
      const outcome = await send(client, { origin: server.origin, path });
      expectBody(outcome, 200, path === '/long' ? 'longer' : 'short');
      expect(outcome.headers?.['content-length']).toBe(path === '/long' ? '6' : '5');
      expect(outcome.headers?.['x-a']).toEqual(['1', '2']);
      expect(Object.isFrozen(outcome.headers)).toBe(true);
      expect(Object.isFrozen(outcome.headers?.['x-a'])).toBe(true);
    }
    expect(server.connections.length).toBe(1);
  });

  it('reads a chunked body with chunk extensions, upper-case sizes and trailers, and reuses the connection', async () => {
    const server = await rawServer((socket, request) =>
      socket.write(
        request.path === '/next'
          ? ok('next')
          : 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' +
              '5;a=b\r\nhello\r\n6;name="q";x\r\n world\r\nA\r\n0123456789\r\n0;last=1\r\nx-checksum: abc\r\nx-other: 1\r\n\r\n',
      ),
    );
    const client = newClient();
    const outcome = await send(client, { origin: server.origin });
    expectBody(outcome, 200, 'hello world0123456789');
    expect(outcome.trailers).toBeTypeOf('object');
    // The trailers were read to their end: the next response on the connection parses cleanly.
    expectBody(await send(client, { origin: server.origin, path: '/next' }), 200, 'next');
    expect(server.connections.length).toBe(1);
  });

  it('reads chunked over a content-length beside it, and a body in another coding to the close; reuses neither connection', async () => {
    const server = await rawServer((socket, request) => {
      if (request.path === '/both')
        socket.write(
          'HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
        );
      else socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nnot really gzip');
    });
    const client = newClient();
    expectBody(await send(client, { origin: server.origin, path: '/both' }), 200, 'hello');
    expectBody(await send(client, { origin: server.origin, path: '/other-coding' }), 200, 'not really gzip');
    expect(server.connections.length).toBe(2);
  });

  it('reads a body that ends with the connection (no length, connection: close)', async () => {
    const server = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nfirst ');
      setTimeout(() => socket.end('and last'), 5);
    });
    const client = newClient();
    expectBody(await send(client, { origin: server.origin }), 200, 'first and last');
    expectBody(await send(client, { origin: server.origin }), 200, 'first and last');
    expect(server.connections.length).toBe(2);
  });

  it('reads no body for HEAD, 204 and 304 even with a content-length, and the next response is intact', async () => {
    const server = await rawServer((socket, request) => {
      const answers: Record<string, string> = {
        'HEAD /': 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n',
        'HEAD /chunked': 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n',
        'GET /204': 'HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n',
        'GET /304': 'HTTP/1.1 304 Not Modified\r\ncontent-length: 5\r\n\r\n',
      };
      socket.write(answers[`${request.method} ${request.path}`] ?? ok('next'));
    });
    const client = newClient();
    const cases = [
      ['HEAD', '/', 200],
      ['HEAD', '/chunked', 200],
      ['GET', '/204', 204],
      ['GET', '/304', 304],
    ] as const;
    for (const [method, path, status] of cases) {
      const outcome = await send(client, { origin: server.origin, method, path });
      expectBody(outcome, status, '');
      expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'end']);
      expectBody(await send(client, { origin: server.origin, path: '/next' }), 200, 'next');
    }
    expect(server.connections.length).toBe(1);
  });

  it.each([
    ['in one write', 1],
    ['in separate writes', 3],
  ])('skips 100 Continue and 103 Early Hints before the real response (%s)', async (_name, pieces) => {
    const response =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n' +
      'HTTP/1.1 201 Created\r\ncontent-length: 4\r\n\r\ndone';
    const at = [response.indexOf('HTTP/1.1 103'), response.indexOf('HTTP/1.1 201')];
    const server = await rawServer(async (socket) => {
      if (pieces === 1) socket.write(response);
      else {
        socket.write(response.slice(0, at[0]));
        await sleep(2);
        socket.write(response.slice(at[0], at[1]));
        await sleep(2);
        socket.write(response.slice(at[1]));
      }
    });
    const outcome = await send(newClient(), { origin: server.origin, method: 'POST', body: 'x' });
    expectBody(outcome, 201, 'done');
    // One response start, with the final response's headers only.
    expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'data', 'end']);
    expect(outcome.headers?.link).toBeUndefined();
  });

  it('reads HTTP/1.0 responses: closes after them unless they ask for keep-alive', async () => {
    const server = await rawServer((socket, request) => {
      if (request.path === '/keep-alive')
        socket.write('HTTP/1.0 200 OK\r\nconnection: keep-alive\r\ncontent-length: 2\r\n\r\nok');
      else if (request.path === '/length') socket.write('HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nhello');
      else socket.end('HTTP/1.0 200 OK\r\n\r\nuntil the end');
    });
    const client = newClient();
    const { origin } = server;
    expectBody(await send(client, { origin, path: '/keep-alive' }), 200, 'ok');
    expectBody(await send(client, { origin, path: '/keep-alive' }), 200, 'ok');
    expect(server.connections.length).toBe(1);
    // The same connection once more; an HTTP/1.0 answer without keep-alive ends it.
    expectBody(await send(client, { origin, path: '/length' }), 200, 'hello');
    expect(server.connections.length).toBe(1);
    expectBody(await send(client, { origin, path: '/until-close' }), 200, 'until the end');
    expect(server.connections.length).toBe(2);
    expectBody(await send(client, { origin, path: '/keep-alive' }), 200, 'ok');
    expect(server.connections.length).toBe(3);
  });
});

type Framing = 'chunked' | 'content-length' | 'until-close';

interface SplitCase {
  seed: number;
  body: Buffer;
  /** The response in the pieces the server writes, each after its delay. */
  pieces: { bytes: Buffer; delayMs: number }[];
}

/**
 * A random body framed as `framing` (sometimes after a 100 Continue), cut at
 * random bytes and always inside the status line and the `\r\n\r\n`; a chunked
 * one also inside a chunk-size line and inside a CRLF after chunk data.
 */
function splitCase(framing: Framing, seed: number): SplitCase {
  const rand = createRng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const body = randomBody(rand, (framing === 'chunked' ? 1 : 0) + int(400));
  const parts: Buffer[] = [];
  let size = 0;
  /** Appends a part; returns where it starts. */
  const add = (part: string | Buffer) => {
    const bytes = typeof part === 'string' ? Buffer.from(part, 'latin1') : part;
    parts.push(bytes);
    size += bytes.length;
    return size - bytes.length;
  };
  // A cut at k splits between bytes k-1 and k.
  const forced: number[] = [];
  if (rand() < 0.3) add('HTTP/1.1 100 Continue\r\n\r\n');
  const statusLine = 'HTTP/1.1 200 OK\r\n';
  forced.push(add(statusLine) + 1 + int(statusLine.length - 1));
  const framingHeader = {
    chunked: 'transfer-encoding: chunked',
    'content-length': `content-length: ${body.length}`,
    'until-close': 'connection: close',
  }[framing];
  const head = `${framingHeader}\r\nx-seed: ${seed}\r\n\r\n`;
  const headEnd = add(head) + head.length;
  forced.push(headEnd - 1 - int(3));
  if (framing !== 'chunked') add(body);
  else {
    const inSizeLines: number[] = [];
    const inCrlfs: number[] = [];
    for (let from = 0; from < body.length; ) {
      const n = Math.min(body.length - from, 1 + int(64));
      const hex = rand() < 0.5 ? n.toString(16) : n.toString(16).toUpperCase();
      const line = `${hex}${rand() < 0.3 ? ';a=b' : ''}\r\n`;
      inSizeLines.push(add(line) + 1 + int(line.length - 1));
      add(body.subarray(from, from + n));
      inCrlfs.push(add('\r\n') + 1);
      from += n;
    }
    forced.push(inSizeLines[int(inSizeLines.length)] as number, inCrlfs[int(inCrlfs.length)] as number);
    add(`0${rand() < 0.3 ? ';last=1' : ''}\r\n${rand() < 0.5 ? 'x-trailer: t\r\n' : ''}\r\n`);
  }
  const bytes = Buffer.concat(parts);
  const cuts = new Set(forced);
  for (let extra = int(10); extra > 0; extra--) cuts.add(1 + int(bytes.length - 1));
  const pieces: SplitCase['pieces'] = [];
  let from = 0;
  let delayMs = 0;
  for (const cut of [...[...cuts].sort((a, b) => a - b), bytes.length]) {
    pieces.push({ bytes: bytes.subarray(from, cut), delayMs });
    // A forced cut waits at least a millisecond, so the client reads the two sides apart.
    delayMs = forced.includes(cut) ? 1 + int(2) : int(3);
    from = cut;
  }
  return { seed, body, pieces };
}

function randomBody(rand: () => number, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => Math.floor(rand() * 256)));
}

async function writePieces(socket: Socket, pieces: SplitCase['pieces'], end: boolean): Promise<void> {
  for (const piece of pieces) {
    if (piece.delayMs > 0) await sleep(piece.delayMs);
    if (!socket.destroyed) socket.write(piece.bytes);
  }
  if (end) socket.end();
}

describe('HttpClient on responses split at random bytes', BOUND, () => {
  const RUNS = 25;
  it.each(['chunked', 'content-length', 'until-close'] as const)(
    'delivers exactly the body of a response framed by %s, whatever the splits and delays',
    async (framing) => {
      const base = { chunked: 1_000, 'content-length': 2_000, 'until-close': 3_000 }[framing];
      const cases = Array.from({ length: RUNS }, (_, run) => splitCase(framing, base + run));
      const server = await rawServer((socket, request) => {
        const split = cases[Number(request.path.slice('/case/'.length))] as SplitCase;
        void writePieces(socket, split.pieces, framing === 'until-close');
      });
      const client = newClient();
      for (const [run, split] of cases.entries()) {
        const outcome = await send(client, { origin: server.origin, path: `/case/${run}` });
        const replay = `seed ${split.seed}`;
        expect(outcome.error, replay).toBeUndefined();
        expect(outcome.status, replay).toBe(200);
        expect(outcome.headers?.['x-seed'], replay).toBe(String(split.seed));
        expect(outcome.body.toString('hex'), replay).toBe(split.body.toString('hex'));
        expect(
          outcome.calls.filter((call) => call !== 'data'),
          replay,
        ).toEqual(['requestStart', 'responseStart', 'end']);
      }
      // Every framed response was read to its last byte: the connection stayed in step throughout.
      expect(server.connections.length).toBe(framing === 'until-close' ? RUNS : 1);
    },
  );
});

describe('HttpClient keep-alive', BOUND, () => {
  it('sends sequential requests over one connection', async () => {
    const server = await httpServer((req, res) => res.end(`you asked ${req.url}`));
    const client = newClient();
    for (let i = 0; i < 5; i++) {
      expectBody(await send(client, { origin: server.origin, path: `/${i}` }), 200, `you asked /${i}`);
    }
    expect(server.connections.length).toBe(1);
  });

  it('opens a connection for each concurrent request', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const client = newClient();
    const outcomes = await Promise.all(
      Array.from({ length: 4 }, () => send(client, { origin: server.origin })),
    );
    for (const outcome of outcomes) expectBody(outcome, 200, 'ok');
    expect(server.connections.length).toBe(4);
  });

  it('with connections: 2, holds the third request until a connection is free, then sends it on that one', async () => {
    const held: ServerResponse[] = [];
    const server = await httpServer((req, res) => {
      res.setHeader('x-path', req.url ?? '');
      held.push(res);
    });
    const client = newClient({ connections: 2 });
    const outcomes = [1, 2, 3].map((i) => send(client, { origin: server.origin, path: `/${i}` }));
    await until(() => held.length === 2);
    // A moment for a third request to arrive if it had been sent.
    await sleep(30);
    expect(held.length).toBe(2);
    expect(server.connections.length).toBe(2);
    held[0]?.end('first');
    expectBody(await (outcomes[0] as Promise<Outcome>), 200, 'first');
    await until(() => held.length === 3);
    held[1]?.end('second');
    held[2]?.end('third');
    const [, second, third] = await Promise.all(outcomes);
    expectBody(second as Outcome, 200, 'second');
    expectBody(third as Outcome, 200, 'third');
    expect(third?.headers?.['x-path']).toBe('/3');
    expect(server.connections.length).toBe(2);
  });

  it('opens a new connection after a response with connection: close', async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end('ok');
    });
    const client = newClient();
    const { origin } = server;
    expectBody(await send(client, { origin }), 200, 'ok');
    expectBody(await send(client, { origin, path: '/close' }), 200, 'ok');
    expect(server.connections.length).toBe(1);
    expectBody(await send(client, { origin }), 200, 'ok');
    expect(server.connections.length).toBe(2);
  });

  it('with connections: 1, a request queued behind a connection: close response is sent on a new connection', async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/close') res.setHeader('connection', 'close');
      res.end(`you asked ${req.url}`);
    });
    const [closing, queued] = await firstAndQueued(server.origin, '/close');
    expectBody(closing, 200, 'you asked /close');
    expectBody(queued, 200, 'you asked /queued');
    expect(server.connections.length).toBe(2);
  });

  it('notices that the server closed an idle connection, and sends the next request on a new one', async () => {
    const server = await rawServer((socket) => {
      socket.write(ok('ok'));
      // The server's own idle timeout, shorter than the client's.
      setTimeout(() => socket.end(), 10);
    });
    const client = newClient();
    expectBody(await send(client, { origin: server.origin }), 200, 'ok');
    // The server's side is gone once the client answered its close.
    await until(() => server.connections[0]?.destroyed === true);
    expect(server.connections[0]?.destroyed).toBe(true);
    expectBody(await send(client, { origin: server.origin }), 200, 'ok');
    expect(server.connections.length).toBe(2);
  });

  it.each([
    // 1 s less the 1 s margin: the connection may not be reused at all.
    ['timeout=1', 2, {}],
    ['timeout=5', 1, {}],
    // The hint only lowers the client's own limit.
    ['timeout=60', 2, { keepAliveMs: 20 }],
  ] as const)(
    'after a Keep-Alive: %s hint and 40 ms idle, uses %i connection(s) for two requests',
    async (hint, expected, options) => {
      const server = await rawServer((socket) =>
        socket.write(`HTTP/1.1 200 OK\r\nkeep-alive: ${hint}\r\ncontent-length: 2\r\n\r\nok`),
      );
      const client = newClient(options);
      expectBody(await send(client, { origin: server.origin }), 200, 'ok');
      await sleep(40);
      expectBody(await send(client, { origin: server.origin }), 200, 'ok');
      expect(server.connections.length).toBe(expected);
    },
  );

  it('with connections: 1, a request after the keep-alive hint expired is sent on a new connection', async () => {
    const server = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 2\r\n\r\nok'),
    );
    const client = newClient({ connections: 1 });
    expectBody(await send(client, { origin: server.origin }), 200, 'ok');
    await sleep(5);
    expectBody(await send(client, { origin: server.origin }), 200, 'ok');
    expect(server.connections.length).toBe(2);
  });
});

describe('HttpClient writes', BOUND, () => {
  it('writes the requests sent in one turn of the event loop after it, each started (and stamped) at its write', async () => {
    const server = await httpServer((req, res) => res.end(`you asked ${req.url}`));
    const client = newClient();
    expect(await client.warm(server.origin, 3)).toBe(3);
    const started: number[] = [];
    const outcomes = [0, 1, 2].map((i) =>
      send(
        client,
        { origin: server.origin, path: `/${i}` },
        { onRequestStart: () => started.push(performance.now()) },
      ),
    );
    // The rest of this turn's work: nothing has been written (or started) while it runs.
    const busyUntil = performance.now() + 30;
    while (performance.now() < busyUntil);
    expect(started).toEqual([]);
    const turnEnded = performance.now();
    const done = await Promise.all(outcomes);
    for (const [i, outcome] of done.entries()) expectBody(outcome, 200, `you asked /${i}`);
    expect(started.length).toBe(3);
    for (const at of started) expect(at).toBeGreaterThanOrEqual(turnEnded);
    expect(server.connections.length).toBe(3);
  });

  it('releases, without closing, a connection whose request is aborted before its write, and sends the next one on it', async () => {
    const server = await httpServer((req, res) => res.end(`you asked ${req.url}`));
    const client = newClient({ connections: 1 });
    const reason = new Error('given up before the write');
    let controller: RequestController | undefined;
    const first = send(client, { origin: server.origin, path: '/first' });
    const queued = send(
      client,
      { origin: server.origin, path: '/queued' },
      { onRequestQueued: (c) => (controller = c) },
    );
    expectBody(await first, 200, 'you asked /first');
    // The first response handed the connection to the queued request; its write waits for the turn to end.
    controller?.abort(reason);
    const aborted = await queued;
    expect(aborted.error).toBe(reason);
    expect(aborted.calls).toEqual(['error']);
    expectBody(await send(client, { origin: server.origin, path: '/next' }), 200, 'you asked /next');
    expect(server.connections.length).toBe(1);
    expect(server.connections[0]?.destroyed).toBe(false);
  });
});

describe('HttpClient request serialisation', BOUND, () => {
  const headLines = (text: string) => text.slice(0, text.indexOf('\r\n\r\n')).split('\r\n');

  it('writes the method, path and query, headers, a default host and the real length of a UTF-8 body', async () => {
    const server = await rawServer((socket) => socket.write(ok('')));
    const body = 'héllo wörld ✓ 😀';
    const outcome = await send(newClient(), {
      origin: server.origin,
      method: 'POST',
      path: '/v1/submit?q=a%20b&x=1',
      headers: { 'x-trace': 'abc', 'content-type': 'text/plain; charset=utf-8', 'Content-Length': '999' },
      body,
    });
    expectBody(outcome, 200, '');
    const { text } = server.requests[0] as RawRequest;
    const lines = headLines(text);
    expect(lines[0]).toBe('POST /v1/submit?q=a%20b&x=1 HTTP/1.1');
    expect(lines.filter((line) => /^host:/i.test(line))).toEqual([`host: ${new URL(server.origin).host}`]);
    expect(lines).toContain('x-trace: abc');
    expect(lines).toContain('content-type: text/plain; charset=utf-8');
    // The user's length is replaced by the body's length in bytes (24), not in characters.
    expect(lines.filter((line) => /^content-length:/i.test(line))).toEqual([
      `content-length: ${Buffer.byteLength(body)}`,
    ]);
    expect(Buffer.byteLength(body)).toBeGreaterThan(body.length);
    expect(Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8')).toBe(body);
  });

  it('keeps a host header the user gave, once; writes no length without a body and 0 for an empty one', async () => {
    const server = await rawServer((socket) => socket.write(ok('')));
    const client = newClient();
    await send(client, { origin: server.origin, headers: { Host: 'api.example.test' } });
    await send(client, { origin: server.origin, method: 'POST', body: '' });
    const [withHost, empty] = server.requests.map((request) => headLines(request.text));
    expect(withHost?.filter((line) => /^host:/i.test(line))).toEqual(['Host: api.example.test']);
    expect(withHost?.some((line) => /^content-length:/i.test(line))).toBe(false);
    expect(empty).toContain('content-length: 0');
  });

  it('writes the right request line and host when one headers object is sent with other methods, paths and origins', async () => {
    const first = await rawServer((socket) => socket.write(ok('')));
    const second = await rawServer((socket) => socket.write(ok('')));
    const client = newClient();
    const headers = { 'x-step': 'same object' };
    // Each request differs from the one before in one thing only.
    await send(client, { origin: first.origin, path: '/a', headers });
    await send(client, { origin: first.origin, path: '/a', headers });
    await send(client, { origin: second.origin, path: '/a', headers });
    await send(client, { origin: second.origin, path: '/b', headers });
    await send(client, { origin: second.origin, method: 'POST', path: '/b', headers, body: 'hi' });
    const lines = [...first.requests, ...second.requests].map((request) =>
      headLines(request.text).filter((line) => !line.startsWith('x-step')),
    );
    const [firstHost, secondHost] = [first, second].map((server) => `host: ${new URL(server.origin).host}`);
    expect(lines).toEqual([
      ['GET /a HTTP/1.1', firstHost],
      ['GET /a HTTP/1.1', firstHost],
      ['GET /a HTTP/1.1', secondHost],
      ['GET /b HTTP/1.1', secondHost],
      ['POST /b HTTP/1.1', secondHost, 'content-length: 2'],
    ]);
    expect(second.requests[2]?.text.endsWith('\r\n\r\nhi')).toBe(true);
  });

  it('rejects a header or path that could inject a line with INVALID_REQUEST, and sends none of it', async () => {
    const server = await rawServer((socket) => socket.write(ok('ok')));
    const client = newClient();
    const invalid: Partial<RequestOptions>[] = [
      { headers: { 'x-bad': 'a\r\nx-injected: 1' } },
      { headers: { 'x-bad': 'a\nb' } },
      { headers: { 'x-bad': 'a\rb' } },
      { headers: { 'bad name': 'v' } },
      { headers: { 'x:y': 'v' } },
      { headers: { '': 'v' } },
      { headers: { 'x-bad\r\nx-injected': 'v' } },
      { path: '/a b' },
      { path: '/a\r\nx-injected: 1' },
      { path: '' },
      { method: 'GE T' as RequestOptions['method'] },
      { method: 'POST', body: 'x', headers: { 'transfer-encoding': 'chunked' } },
    ];
    for (const options of invalid) {
      const outcome = await send(client, { origin: server.origin, ...options });
      expect(outcome.error?.code, JSON.stringify(options)).toBe('INVALID_REQUEST');
      expect(outcome.calls).not.toContain('responseStart');
    }
    // A valid request on the same connection: the server got it and nothing before it.
    expectBody(await send(client, { origin: server.origin, path: '/valid' }), 200, 'ok');
    expect(server.requests.map((request) => request.path)).toEqual(['/valid']);
    expect(server.received()).toBe(server.requests[0]?.text);
    expect(server.connections.length).toBe(1);
  });

  it('rejects an invalid request before taking or opening a connection', async () => {
    let connects = 0;
    const client = newClient({
      connect: () => {
        connects++;
        return new Socket();
      },
    });
    const outcome = await send(client, { origin: 'http://127.0.0.1:9', headers: { 'x-bad': 'a\r\nb' } });
    expect(outcome.error?.code).toBe('INVALID_REQUEST');
    expect(outcome.calls).toEqual(['error']);
    expect(connects).toBe(0);
  });

  it('throws INVALID_REQUEST for an origin that is neither http nor https', () => {
    expect(() =>
      newClient().dispatch({ origin: 'ftp://127.0.0.1:21', path: '/', method: 'GET' }, {}),
    ).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});

/** A raw server that writes `response` for any request, then ends the connection if `end`. */
function answering(response: string, end = false) {
  return rawServer((socket) => (end ? socket.end(response) : socket.write(response)));
}

describe('HttpClient against misbehaving servers', BOUND, () => {
  it.each([
    ['garbage instead of a status line', 'garbage\r\n\r\n'],
    ['an SSH banner', 'SSH-2.0-OpenSSH_9.6\r\n\r\n'],
    ['HTTP/2 status line', 'HTTP/2 200\r\n\r\n'],
    ['a non-numeric status', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n'],
    [
      'an invalid chunk size',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
    ],
    [
      'chunk data longer than its size',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n',
    ],
    ['a content-length that is not a number', 'HTTP/1.1 200 OK\r\ncontent-length: abc\r\n\r\nabc'],
    ['a negative content-length', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'],
    ['content-lengths that disagree', 'HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\nhello'],
    [
      'repeated content-lengths that disagree',
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello',
    ],
  ])('fails with HTTP_PARSE_ERROR on %s, and does not reuse the connection', async (_name, response) => {
    const server = await answering(response);
    const client = newClient();
    const outcome = await send(client, { origin: server.origin });
    expect(outcome.error?.code).toBe('HTTP_PARSE_ERROR');
    expect(outcome.calls.at(-1)).toBe('error');
    expect(outcome.calls).not.toContain('end');
    await send(client, { origin: server.origin });
    expect(server.connections.length).toBe(2);
  });

  it('fails with HEADERS_TOO_LARGE on a head over 16 KiB, whole or arriving in pieces without an end', async () => {
    const big = `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(17 * 1024)}\r\ncontent-length: 2\r\n\r\nok`;
    const whole = await answering(big);
    expect((await send(newClient(), { origin: whole.origin })).error?.code).toBe('HEADERS_TOO_LARGE');
    const endless = await rawServer(async (socket) => {
      socket.write('HTTP/1.1 200 OK\r\n');
      for (let i = 0; i < 40 && !socket.destroyed; i++) {
        socket.write(`x-header-${i}: ${'b'.repeat(1024)}\r\n`);
        await sleep(1);
      }
    });
    const outcome = await send(newClient(), { origin: endless.origin });
    expect(outcome.error?.code).toBe('HEADERS_TOO_LARGE');
    expect(outcome.calls).toEqual(['requestStart', 'error']);
  });

  it('accepts a head just under 16 KiB, and applies a lower maxHeaderBytes', async () => {
    const server = await answering(
      `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(15 * 1024)}\r\ncontent-length: 2\r\n\r\nok`,
    );
    expectBody(await send(newClient(), { origin: server.origin }), 200, 'ok');
    const outcome = await send(newClient({ maxHeaderBytes: 8 * 1024 }), { origin: server.origin });
    expect(outcome.error?.code).toBe('HEADERS_TOO_LARGE');
  });

  it.each([
    [
      'a content-length body cut short',
      'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789',
      '0123456789',
    ],
    [
      'a chunked body without its last chunk',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n',
      'hello',
    ],
    [
      'a chunked body cut inside a chunk',
      'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\na\r\nhello',
      'hello',
    ],
  ])('fails with SOCKET_CLOSED after the response started on %s', async (_name, response, received) => {
    const server = await answering(response, true);
    const outcome = await send(newClient(), { origin: server.origin });
    expect(outcome.error?.code).toBe('SOCKET_CLOSED');
    expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'data', 'error']);
    expect(outcome.body.toString()).toBe(received);
  });

  it.each([
    ['before any byte', ''],
    ['inside the head', 'HTTP/1.1 200 OK\r\ncontent-'],
  ])(
    'fails with SOCKET_CLOSED without a response start when the server closes %s',
    async (_name, response) => {
      const server = await answering(response, true);
      const outcome = await send(newClient(), { origin: server.origin });
      expect(outcome.error?.code).toBe('SOCKET_CLOSED');
      expect(outcome.calls).toEqual(['requestStart', 'error']);
    },
  );

  it('does not let bytes after a complete response reach the next request (same write or later)', async () => {
    const stray = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nstray';
    const server = await rawServer((socket, request) => {
      if (request.path === '/same-write') socket.write(ok('one') + stray);
      else if (request.path === '/later') {
        socket.write(ok('two'));
        setTimeout(() => socket.write(stray), 10);
      } else socket.write(ok('fine'));
    });
    const client = newClient();
    const { origin } = server;
    expectBody(await send(client, { origin, path: '/same-write' }), 200, 'one');
    expectBody(await send(client, { origin, path: '/next' }), 200, 'fine');
    expect(server.connections.length).toBe(2);
    expectBody(await send(client, { origin, path: '/later' }), 200, 'two');
    // The client drops the connection the stray bytes came on.
    await until(() => server.connections[1]?.destroyed === true);
    expect(server.connections[1]?.destroyed).toBe(true);
    expectBody(await send(client, { origin, path: '/next' }), 200, 'fine');
    expect(server.connections.length).toBe(3);
  });

  it('with connections: 1, does not hand stray bytes after a response to the request queued behind it', async () => {
    const server = await rawServer((socket, request) =>
      socket.write(
        request.path === '/first'
          ? `${ok('one')}HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nstray`
          : ok('two'),
      ),
    );
    const [first, queued] = await firstAndQueued(server.origin, '/first');
    expectBody(first, 200, 'one');
    expectBody(queued, 200, 'two');
    expect(server.connections.length).toBe(2);
  });

  it('fails with the socket error ECONNREFUSED on a closed port', async () => {
    const outcome = await send(newClient(), { origin: await deadOrigin() });
    expect(outcome.error?.code).toBe('ECONNREFUSED');
    expect(outcome.calls).toEqual(['error']);
  });

  it('fails with CONNECT_TIMEOUT, classified as a timeout, when a connection does not open in time', async () => {
    // A socket that never connects stands in for a host that drops the SYN.
    const hanging: Socket[] = [];
    const client = newClient({
      connectTimeoutMs: 50,
      connect: () => {
        const socket = new Socket();
        hanging.push(socket);
        return socket;
      },
    });
    const outcome = await send(client, { origin: 'http://127.0.0.1:9' });
    expect(outcome.error?.code).toBe('CONNECT_TIMEOUT');
    expect(outcome.calls).toEqual(['error']);
    expect(classifyTransportError(outcome.error, false).kind).toBe('timeout');
    expect(hanging).toHaveLength(1);
    expect(hanging[0]?.destroyed).toBe(true);
  });

  it("ends a request waiting for a connection at the request's own timeout, and on cancellation", async () => {
    const client = newClient({ connectTimeoutMs: 60_000, connect: () => new Socket() });
    const sink = { onStart: () => undefined, onData: () => undefined, onEnd: () => undefined };
    const request = { origin: 'http://127.0.0.1:9', path: '/', method: 'GET' as const, headers: {} };
    const clock = createClock();
    const timedOut = await exchange(client, clock, { ...request, timeoutMs: 50 }, sink);
    expect(timedOut.failure?.kind).toBe('timeout');
    // Told 50 ms; the connection would have taken a minute.
    expect(timedOut.endAt - timedOut.sentAt).toBeGreaterThanOrEqual(45);
    expect(timedOut.endAt - timedOut.sentAt).toBeLessThan(5_000);
    const cancel = new AbortController();
    const cancelled = exchange(client, clock, { ...request, timeoutMs: 60_000, signal: cancel.signal }, sink);
    cancel.abort();
    expect((await cancelled).failure?.kind).toBe('cancelled');
  });

  it.each([1, undefined])(
    'fails every one of 20 requests to a closed port with connections: %s',
    async (connections) => {
      const origin = await deadOrigin();
      const client = newClient({ connections });
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => send(client, { origin })));
      expect(outcomes.map((outcome) => outcome.error?.code)).toEqual(Array(20).fill('ECONNREFUSED'));
    },
  );

  it('with connections: 1, fails a request queued behind a warm-up connect that failed', async () => {
    const origin = await deadOrigin();
    const client = newClient({ connections: 1 });
    const [opened, outcome] = await Promise.all([client.warm(origin, 1), send(client, { origin })]);
    expect(opened).toBe(0);
    expect(outcome.error?.code).toBe('ECONNREFUSED');
  });
});

describe('HttpClient abort', BOUND, () => {
  it('writes nothing when the handler aborts in onRequestStart, and reports the reason', async () => {
    const server = await rawServer((socket) => socket.write(ok('ok')));
    const client = newClient();
    const reason = new Error('cancelled before sending');
    const outcome = await send(
      client,
      { origin: server.origin, method: 'POST', path: '/aborted', body: 'never' },
      { onRequestStart: (controller) => controller.abort(reason) },
    );
    expect(outcome.error).toBe(reason);
    expect(outcome.calls).toEqual(['requestStart', 'error']);
    // The connection is still good and carried nothing before the next request.
    expectBody(await send(client, { origin: server.origin, path: '/next' }), 200, 'ok');
    expect(server.received()).toBe(server.requests[0]?.text);
    expect(server.requests.map((request) => request.path)).toEqual(['/next']);
    expect(server.connections.length).toBe(1);
  });

  it.each([1, undefined])(
    'ends a slow stream aborted mid-body (connections: %s); the next request succeeds on a new connection',
    async (connections) => {
      const server = await httpServer((req, res) => {
        if (req.url === '/slow') res.write('first chunk');
        else res.end('fast');
      });
      const client = newClient({ connections });
      const reason = new Error('enough');
      const outcome = await send(
        client,
        { origin: server.origin, path: '/slow' },
        { onResponseData: (controller) => controller.abort(reason) },
      );
      expect(outcome.error).toBe(reason);
      expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'data', 'error']);
      // Aborted at the first data, however much of the chunk it held.
      expect(outcome.body.length).toBeGreaterThan(0);
      expect('first chunk'.startsWith(outcome.body.toString())).toBe(true);
      // Sent at once, before the aborted connection's close has been processed.
      expectBody(await send(client, { origin: server.origin, path: '/fast' }), 200, 'fast');
      expect(server.connections.length).toBe(2);
      await until(() => server.connections[0]?.destroyed === true);
      expect(server.connections[0]?.destroyed).toBe(true);
    },
  );

  it('ends a request aborted in onResponseStart, and an abort after the end changes nothing', async () => {
    const server = await rawServer((socket) => socket.write(ok('body')));
    const client = newClient();
    const reason = new Error('status is enough');
    const outcome = await send(
      client,
      { origin: server.origin },
      { onResponseStart: (controller) => controller.abort(reason) },
    );
    expect(outcome.error).toBe(reason);
    expect(outcome.calls).toEqual(['requestStart', 'responseStart', 'error']);
    let controller: RequestController | undefined;
    const done = await send(client, { origin: server.origin }, { onRequestStart: (c) => (controller = c) });
    expectBody(done, 200, 'body');
    controller?.abort(new Error('too late'));
    expect(done.calls.at(-1)).toBe('end');
    // The late abort did not close the connection the finished request left idle.
    expectBody(await send(client, { origin: server.origin }), 200, 'body');
    expect(server.connections.length).toBe(2);
  });

  it('never sends a request that was aborted while queued behind connections: 1', async () => {
    const holding = await holdingServer();
    const client = newClient({ connections: 1 });
    const reason = new Error('cancelled while queued');
    // As the engine does: a cancel asked for before the request started takes effect at its start.
    let cancelled = false;
    const first = send(client, { origin: holding.origin, path: '/first' });
    const queued = send(
      client,
      { origin: holding.origin, path: '/queued' },
      { onRequestStart: (controller) => cancelled && controller.abort(reason) },
    );
    await until(() => holding.held.length === 1);
    cancelled = true;
    await expectNextServed(client, holding, first);
    const outcome = await queued;
    expect(outcome.error).toBe(reason);
    expect(outcome.calls).toEqual(['requestStart', 'error']);
  });

  it('ends a request aborted while it waits (onRequestQueued), and the connection then serves the next one', async () => {
    const holding = await holdingServer();
    const client = newClient({ connections: 1 });
    const reason = new Error('gave up waiting');
    const first = send(client, { origin: holding.origin, path: '/first' });
    let waiting: RequestController | undefined;
    const queued = send(
      client,
      { origin: holding.origin, path: '/queued' },
      { onRequestQueued: (controller) => (waiting = controller) },
    );
    await until(() => holding.held.length === 1);
    waiting?.abort(reason);
    const outcome = await queued;
    expect(outcome.error).toBe(reason);
    expect(outcome.calls).toEqual(['error']);
    // The first response frees the connection with only the aborted request left in the queue.
    await expectNextServed(client, holding, first);
  });
});

/** A server that holds every response for the test to end, and the paths it was asked for. */
async function holdingServer() {
  const held: ServerResponse[] = [];
  const paths: string[] = [];
  const server = await httpServer((req, res) => {
    paths.push(req.url ?? '');
    held.push(res);
  });
  return { ...server, held, paths };
}

/** Ends `/first`, then checks that its one connection serves `/after` and that nothing else reached the server. */
async function expectNextServed(
  client: HttpClient,
  holding: Awaited<ReturnType<typeof holdingServer>>,
  first: Promise<Outcome>,
): Promise<void> {
  holding.held[0]?.end('one');
  expectBody(await first, 200, 'one');
  const after = send(client, { origin: holding.origin, path: '/after' });
  await until(() => holding.held.length === 2);
  holding.held[1]?.end('two');
  expectBody(await after, 200, 'two');
  expect(holding.paths).toEqual(['/first', '/after']);
  expect(holding.connections.length).toBe(1);
}

describe('HttpClient warm, close and destroy', BOUND, () => {
  it('warms n connections that then serve n concurrent requests without new ones', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const client = newClient();
    expect(await client.warm(server.origin, 3)).toBe(3);
    await until(() => server.connections.length === 3);
    expect(server.connections.length).toBe(3);
    const outcomes = await Promise.all([1, 2, 3].map(() => send(client, { origin: server.origin })));
    for (const outcome of outcomes) expectBody(outcome, 200, 'ok');
    expect(server.connections.length).toBe(3);
  });

  it('warms no more than the connections option allows', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    expect(await newClient({ connections: 2 }).warm(server.origin, 5)).toBe(2);
  });

  it('resolves warm with 0 on a closed port', async () => {
    expect(await newClient().warm(await deadOrigin(), 300)).toBe(0);
  });

  it('destroy fails queued and in-flight requests, mid-body ones too, with CLIENT_CLOSED', async () => {
    const held: ServerResponse[] = [];
    const server = await httpServer((req, res) => {
      if (req.url === '/streaming') res.write('part');
      held.push(res);
    });
    const client = newClient({ connections: 2 });
    let streaming = false;
    const outcomes = [
      send(
        client,
        { origin: server.origin, path: '/streaming' },
        { onResponseData: () => (streaming = true) },
      ),
      send(client, { origin: server.origin, path: '/held' }),
      send(client, { origin: server.origin, path: '/queued' }),
    ];
    await until(() => held.length === 2 && streaming);
    await client.destroy();
    const [mid, waiting, queued] = await Promise.all(outcomes);
    for (const outcome of [mid, waiting, queued]) expect(outcome?.error?.code).toBe('CLIENT_CLOSED');
    expect(mid?.calls).toEqual(['requestStart', 'responseStart', 'data', 'error']);
    expect(queued?.calls).toEqual(['error']);
    expect((await send(client, { origin: server.origin })).error?.code).toBe('CLIENT_CLOSED');
  });

  it('close closes idle connections, lets the request in flight finish and then closes its connection; new requests fail with CLIENT_CLOSED', async () => {
    const held: ServerResponse[] = [];
    const server = await httpServer((req, res) => (req.url === '/quick' ? res.end('quick') : held.push(res)));
    const other = await httpServer((_req, res) => res.end('other'));
    const client = newClient();
    // Two connections: one stays idle, the other carries the request in flight.
    await Promise.all([1, 2].map(() => send(client, { origin: server.origin, path: '/quick' })));
    const inFlight = send(client, { origin: server.origin, path: '/held' });
    await until(() => held.length === 1);
    await client.close();
    const closed = () => server.connections.filter((socket) => socket.destroyed).length;
    await until(() => closed() === 1);
    expect(closed()).toBe(1);
    expect((await send(client, { origin: server.origin })).error?.code).toBe('CLIENT_CLOSED');
    // An origin the client had not used yet is closed too.
    expect((await send(client, { origin: other.origin })).error?.code).toBe('CLIENT_CLOSED');
    expect(other.connections.length).toBe(0);
    held[0]?.end('finished');
    expectBody(await inFlight, 200, 'finished');
    await until(() => closed() === 2);
    expect(closed()).toBe(2);
    expect(server.connections.length).toBe(2);
  });

  it('close still serves the requests queued before it (connections: 1)', async () => {
    const server = await httpServer((req, res) => res.end(`you asked ${req.url}`));
    const client = newClient({ connections: 1 });
    const outcomes = [1, 2, 3].map((i) => send(client, { origin: server.origin, path: `/${i}` }));
    await client.close();
    const done = await Promise.all(outcomes);
    for (const [i, outcome] of done.entries()) expectBody(outcome, 200, `you asked /${i + 1}`);
    expect(server.connections.length).toBe(1);
  });
});

describe('HttpClient large bodies', BOUND, () => {
  it('delivers a 5 MiB content-length body byte for byte', async () => {
    const body = randomBytes(5 * 1024 * 1024);
    const server = await httpServer((_req, res) => res.end(body));
    const outcome = await send(newClient(), { origin: server.origin });
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['content-length']).toBe(String(body.length));
    expect(outcome.body.length).toBe(body.length);
    expect(sha256(outcome.body)).toBe(sha256(body));
  });

  it('delivers a chunked body of 2000 chunks byte for byte', async () => {
    const rand = createRng(7);
    const chunks = Array.from({ length: 2_000 }, () => randomBody(rand, 1 + Math.floor(rand() * 2_000)));
    const server = await httpServer((_req, res) => {
      for (const chunk of chunks) res.write(chunk);
      res.end();
    });
    const outcome = await send(newClient(), { origin: server.origin });
    expect(outcome.error).toBeUndefined();
    expect(outcome.headers?.['transfer-encoding']).toBe('chunked');
    expect(sha256(outcome.body)).toBe(sha256(Buffer.concat(chunks)));
  });
});
