/**
 * A loopback HTTP/1.1 server that misbehaves on purpose, one way per mode,
 * at the byte level (a raw `net` server: node:http would refuse to send most
 * of it). Each mode is a row of {@link MODES}; a test picks one by its name.
 * It answers every request path the same; a mode that needs a good answer
 * sends an OpenAI-shaped stream or JSON body.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';

/** What a mode is given for each request read off a connection. */
export interface HostileRequest {
  method: string;
  path: string;
  /** Requests answered on this connection before this one. */
  index: number;
}

/** A misbehaviour: what it does with each request, and optionally with a connection as it opens. */
export interface HostileMode {
  /** Called with each complete request; writes whatever it likes to the socket. */
  onRequest(socket: Socket, request: HostileRequest): void;
  /** Called as the server accepts a connection, before any request. */
  onConnection?(socket: Socket): void;
}

export interface HostileServer {
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

const CHUNK = JSON.stringify({ id: 'h', choices: [{ index: 0, delta: { content: ' tok' } }] });
const LAST = JSON.stringify({
  id: 'h',
  choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 },
});
/** A correct streamed answer's events. */
export const GOOD_STREAM = `data: ${CHUNK}\n\ndata: ${CHUNK}\n\ndata: ${LAST}\n\ndata: [DONE]\n\n`;
/** A correct non-streamed answer. */
export const GOOD_JSON = JSON.stringify({
  id: 'h',
  choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
});
const BOGUS_418 = 'HTTP/1.1 418 I am a teapot\r\ncontent-length: 5\r\n\r\nbogus';

const MiB = 1024 * 1024;
/** A 64 KiB block of filler bytes. */
const FILLER = Buffer.alloc(64 * 1024, 'x');

/** The head of a 200 answer: chunked SSE, or JSON with a length. */
function sseHead(): string {
  return 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';
}

/** One chunk of a chunked body. */
function chunk(data: string | Buffer): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data) : data;
  return Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n')]);
}

/** A correct answer (stream when the request asked for one, which these tests do by `accept`). */
function goodAnswer(socket: Socket, stream: boolean): void {
  if (stream) {
    socket.write(`${sseHead() + chunk(GOOD_STREAM).toString()}0\r\n\r\n`);
  } else {
    socket.write(
      `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${GOOD_JSON.length}\r\n\r\n${GOOD_JSON}`,
    );
  }
}

/**
 * Writes `total` bytes (Infinity: until the peer goes) of `FILLER`, chunk-framed or
 * not, respecting backpressure, then `after`.
 */
function pour(socket: Socket, total: number, chunked: boolean, after = ''): void {
  let left = total;
  const block = chunked ? chunk(FILLER) : FILLER;
  const more = (): void => {
    while (!socket.destroyed && left > 0) {
      const n = Math.min(left, FILLER.length);
      left -= n;
      const ok = socket.write(
        n === FILLER.length ? block : chunked ? chunk(FILLER.subarray(0, n)) : FILLER.subarray(0, n),
      );
      if (!ok) {
        socket.once('drain', more);
        return;
      }
    }
    if (!socket.destroyed && after !== '') socket.write(after);
  };
  more();
}

/** A redirect with an empty body. */
function redirectTo(socket: Socket, status: number, location: string): void {
  socket.write(`HTTP/1.1 ${status} Moved\r\nlocation: ${location}\r\ncontent-length: 0\r\n\r\n`);
}

/** Writes an endless stream of valid token events until the peer goes. */
function tokensForever(socket: Socket): void {
  const block = chunk(`data: ${CHUNK}\n\n`.repeat(64));
  const more = (): void => {
    while (!socket.destroyed) {
      if (!socket.write(block)) {
        socket.once('drain', more);
        return;
      }
    }
  };
  more();
}

/** The misbehaviours, by name. Other tests add rows (redirects, encodings) as they need them. */
export const MODES: Record<string, HostileMode> = {
  /** A correct server, for the baseline. */
  good: { onRequest: (s, r) => goodAnswer(s, r.path.includes('stream')) },
  /** An SSE line that never ends: `data: xxxx…` until the client goes. */
  'endless-line': {
    onRequest: (s) => {
      s.write(sseHead() + chunk('data: ').toString());
      pour(s, Number.POSITIVE_INFINITY, true);
    },
  },
  /** One 50 MB SSE line, then the end of the stream. */
  'huge-line': {
    onRequest: (s) => {
      s.write(sseHead() + chunk('data: ').toString());
      pour(s, 50 * MiB, true, `${chunk(`\n\ndata: ${LAST}\n\ndata: [DONE]\n\n`).toString()}0\r\n\r\n`);
    },
  },
  /** Endless valid token events: a stream that never ends (the step times out). */
  forever: {
    onRequest: (s) => {
      s.write(sseHead());
      tokensForever(s);
    },
  },
  /** A 200 JSON answer of 200 MB. */
  'huge-json': {
    onRequest: (s) => {
      s.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${200 * MiB}\r\n\r\n`);
      pour(s, 200 * MiB, false);
    },
  },
  /** A 500 whose body is 200 MB. */
  'huge-error': {
    onRequest: (s) => {
      s.write(
        `HTTP/1.1 500 Internal Server Error\r\ncontent-type: text/plain\r\ncontent-length: ${200 * MiB}\r\n\r\n`,
      );
      pour(s, 200 * MiB, false);
    },
  },
  /** Correct answers, but 300 ms after each one a bogus 418 on the idle connection. */
  'stray-idle': {
    onRequest: (s, r) => {
      goodAnswer(s, r.path.includes('stream'));
      const answered = (s as Socket & { answered?: number }).answered ?? 0;
      (s as Socket & { answered?: number }).answered = answered + 1;
      setTimeout(() => {
        // Only when no later request came in meanwhile: the bytes then belong to no request.
        if (!s.destroyed && (s as Socket & { answered?: number }).answered === answered + 1)
          s.write(BOGUS_418);
      }, 300);
    },
  },
  /** A bogus 418 as soon as a connection is accepted, before any request; correct answers after. */
  'bytes-before-request': {
    onConnection: (s) => {
      s.write(BOGUS_418);
    },
    onRequest: (s, r) => goodAnswer(s, r.path.includes('stream')),
  },
  /** Correct answers, the connection closed right after each (without `connection: close`). */
  'close-after-answer': {
    onRequest: (s, r) => {
      goodAnswer(s, r.path.includes('stream'));
      s.end();
    },
  },
  /** Headers, one event, then nothing. */
  stall: {
    onRequest: (s) => {
      s.write(sseHead() + chunk(`data: ${CHUNK}\n\n`).toString());
    },
  },
  /** Headers, one event, then a TCP reset. */
  reset: {
    onRequest: (s) => {
      s.write(sseHead() + chunk(`data: ${CHUNK}\n\n`).toString());
      setTimeout(() => s.resetAndDestroy(), 20);
    },
  },
  /** A chunk announced at 100 bytes, 40 sent, then the connection closed. */
  'cut-mid-chunk': {
    onRequest: (s) => {
      s.write(`${sseHead()}64\r\n${'data: '.padEnd(40, 'x')}`);
      setTimeout(() => s.destroy(), 20);
    },
  },
  /** Every first request redirected to `/final…` (307 for a POST, which keeps its body; 301 for a GET), then answered. */
  redirect: {
    onRequest: (s, r) => {
      const path = r.path.replace('#stream', '');
      if (path.startsWith('/final')) goodAnswer(s, r.path.includes('stream'));
      else redirectTo(s, r.method === 'POST' ? 307 : 301, `/final${path}`);
    },
  },
  /** Redirects forever, each hop to a new path. */
  'redirect-loop': {
    onRequest: (s, r) => redirectTo(s, 302, `/loop${r.index}${r.path.replace('#stream', '')}`),
  },
  /** A correct answer, gzip-compressed (as CDNs and gateways send JSON and SSE). */
  gzip: {
    onRequest: (s, r) => {
      const stream = r.path.includes('stream');
      const body = gzipSync(stream ? GOOD_STREAM : GOOD_JSON);
      const type = stream ? 'text/event-stream' : 'application/json';
      s.write(
        `HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\ncontent-encoding: gzip\r\ncontent-length: ${body.length}\r\n\r\n`,
      );
      s.write(body);
    },
  },
  /** A chunk-size line that is not hex. */
  'bad-chunk-size': {
    onRequest: (s) => {
      s.write(`${sseHead()}zz\r\ndata: x\n\n\r\n`);
    },
  },
  /** The status line, then a header byte every 500 ms, never the end of the head. */
  'slow-headers': {
    onRequest: (s) => {
      s.write('HTTP/1.1 200 OK\r\nx-slow: ');
      const timer = setInterval(() => {
        if (s.destroyed) clearInterval(timer);
        else s.write('a');
      }, 500);
      s.once('close', () => clearInterval(timer));
    },
  },
};

/** Starts a hostile server on 127.0.0.1 in `mode` (a name in {@link MODES}). */
export async function startHostileServer(mode: string): Promise<HostileServer> {
  const behaviour = MODES[mode];
  if (behaviour === undefined) throw new Error(`no hostile mode ${mode}`);
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    behaviour.onConnection?.(socket);
    readRequests(socket, (request) => behaviour.onRequest(socket, request));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Reads requests (head and `content-length` body) off a connection, one after another. */
function readRequests(socket: Socket, onRequest: (request: HostileRequest) => void): void {
  let buffered = Buffer.alloc(0);
  let index = 0;
  socket.on('data', (data: Buffer) => {
    buffered = Buffer.concat([buffered, data]);
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.toString('latin1', 0, end);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.subarray(end + 4 + length);
      const [method = '', target = ''] = head.split(' ');
      const accept = /\r\naccept:\s*text\/event-stream/i.test(head);
      onRequest({ method, path: accept ? `${target}#stream` : target, index: index++ });
    }
  });
}
