/**
 * @module protocols/http1
 * The generator's HTTP/1.1 client for `http://` targets: keep-alive
 * connections per origin, one request at a time on each, the request head
 * written in one piece and the response parsed as it arrives (status line,
 * headers, then a body framed by `content-length`, chunked coding or the
 * connection's end). `https://` targets go through undici.
 *
 * Why not undici for plain HTTP (DESIGN.md §7 allows a swap for a measured
 * reason): against nginx on one core a closed loop on undici's Pool alone
 * reached 0.63-0.78× of autocannon's req/s (bench/), a minimal keep-alive
 * client on `net` sockets 1.3-1.5× (autocannon brings its own HTTP client
 * too). undici spends its time in layers a load generator does not use
 * (interceptors, a generic request queue, an idle-socket check deferred with
 * `setImmediate` before each reused request). Inside tokenstorm's loop this
 * client gave +1/+38/+25/+25 % req/s in four interleaved pairs.
 *
 * The handler API is a subset of undici's dispatch handler, so one handler
 * serves both clients.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { WARM_BATCH, WarmConnector } from './warm-connector.js';

/** Ends a request early (undici's `DispatchController` has the same method). */
export interface RequestController {
  abort(reason: Error): void;
}

/** Receives one request's progress; the subset of undici's `DispatchHandler` both clients call. */
export interface RequestHandler {
  /** The request waits for a connection (this client only): it can be aborted while it waits. */
  onRequestQueued?(controller: RequestController): void;
  /** The request is about to be written (its connection is open). */
  onRequestStart?(controller: RequestController, context: unknown): void;
  onResponseStart?(controller: RequestController, status: number, headers: IncomingHttpHeaders): void;
  onResponseData?(controller: RequestController, chunk: Buffer): void;
  onResponseEnd?(controller: RequestController, trailers: IncomingHttpHeaders): void;
  onResponseError?(controller: RequestController, error: Error): void;
}

export type HttpMethod =
  | 'GET'
  | 'HEAD'
  | 'POST'
  | 'PUT'
  | 'DELETE'
  | 'CONNECT'
  | 'OPTIONS'
  | 'TRACE'
  | 'PATCH';

export interface RequestOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  /** Path and query. */
  path: string;
  method: HttpMethod;
  /** Read the first time this object is sent: do not change it after (a compiled step's never changes). */
  headers?: Record<string, string> | undefined;
  body?: string | null | undefined;
}

/** What the engine sends requests through: this client, or an undici dispatcher in tests. */
export interface HttpTransport {
  dispatch(options: RequestOptions, handler: RequestHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** A transport failure, with a stable `code` the error classifier and records quote. */
export class HttpClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpClientError';
    this.code = code;
  }
}

export interface HttpClientOptions {
  /** Connections per origin at most (default unlimited: one per concurrent request, as undici's `connections: null`). */
  connections?: number | undefined;
  /** How long an idle connection is kept (ms); a server's `Keep-Alive: timeout` hint, less a second, lowers it. */
  keepAliveMs?: number | undefined;
  /** Most bytes of a response head (status line and headers), as Node's and undici's default. */
  maxHeaderBytes?: number | undefined;
  /** How long a connection may take to open (ms; undici's default, 10 s): a request waits for one that never answers no longer. */
  connectTimeoutMs?: number | undefined;
  /** Opens a TCP connection (default `net.connect`); tests give a socket that never connects. */
  connect?: ((host: string, port: number) => Socket) | undefined;
}

const DEFAULT_KEEP_ALIVE_MS = 30_000;
/** Taken off a server's keep-alive hint, so we drop a connection before the server does. */
const KEEP_ALIVE_MARGIN_MS = 1_000;
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 4 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters a header value may not hold (a CR or LF would let a value start a new header). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_PATH = /[^\u0021-\u00ff]/;
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;

/** Where a connection is in the response it reads. */
enum Read {
  /** No request on the connection. */
  Idle,
  /** Status line and headers. */
  Head,
  /** A body of known length. */
  Fixed,
  /** A chunk-size line. */
  ChunkSize,
  /** Chunk data. */
  ChunkData,
  /** The CRLF after chunk data. */
  ChunkEnd,
  /** Trailer lines after the last chunk. */
  Trailers,
  /** A body that ends with the connection. */
  UntilClose,
}

/** One request: its options, its handler, and the controller the handler is given. */
class PendingRequest implements RequestController {
  /** Set once the handler heard the end or an error: nothing more reaches it. */
  done = false;
  connection: Connection | undefined = undefined;

  constructor(
    readonly pool: OriginPool,
    readonly options: RequestOptions,
    readonly handler: RequestHandler,
  ) {}

  abort(reason: Error): void {
    if (this.done) return;
    this.done = true;
    const connection = this.connection;
    if (connection !== undefined) {
      this.connection = undefined;
      connection.dropRequest();
    }
    // A queued request is skipped when its turn comes (it is `done`).
    this.handler.onResponseError?.(this, reason);
  }
}

/** One keep-alive connection and the response it is reading. */
class Connection {
  readonly socket: Socket;
  request: PendingRequest | undefined = undefined;
  /** The connection is open and not closing. */
  usable = false;
  /** It opened at some point (a close before that is a failed connect). */
  connected = false;
  idleSince = 0;
  keepAliveMs: number;
  private read = Read.Idle;
  /** The current response's own parts. */
  private isHead = false;
  private reuse = true;
  private left = 0;
  /** Bytes of an unfinished response head or line, waiting for the rest. */
  private pending: Buffer | undefined = undefined;

  constructor(readonly pool: OriginPool) {
    this.keepAliveMs = pool.keepAliveMs;
    const socket = pool.connect(pool.hostname, pool.port);
    this.socket = socket;
    // A host that never answers the SYN would hold a request for the kernel's two minutes.
    const timer = setTimeout(() => {
      socket.destroy(
        new HttpClientError(
          'CONNECT_TIMEOUT',
          `no connection to ${pool.host} within ${pool.connectTimeoutMs} ms`,
        ),
      );
    }, pool.connectTimeoutMs);
    socket.once('close', () => clearTimeout(timer));
    socket.on('connect', () => {
      clearTimeout(timer);
      this.usable = true;
      this.connected = true;
      pool.onConnect(this);
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => this.onClose(err));
    socket.on('close', () => this.onClose(undefined));
  }

  /** Writes a request; the handler may abort it in `onRequestStart`, before anything is written. */
  send(request: PendingRequest): void {
    this.request = request;
    this.read = Read.Head;
    this.isHead = request.options.method === 'HEAD';
    this.reuse = true;
    request.handler.onRequestStart?.(request, undefined);
    if (request.done) {
      this.request = undefined;
      this.read = Read.Idle;
      this.pool.release(this);
      return;
    }
    request.connection = this;
    const { options } = request;
    const body = options.body;
    let head: string;
    try {
      head = requestHead(options, this.pool.host, body == null ? -1 : Buffer.byteLength(body));
    } catch (err) {
      this.request = undefined;
      this.read = Read.Idle;
      request.connection = undefined;
      this.pool.release(this);
      finish(request, err as Error);
      return;
    }
    if (body == null || body.length === 0) {
      this.socket.write(head, 'latin1');
    } else {
      this.socket.cork();
      this.socket.write(head, 'latin1');
      this.socket.write(body, 'utf8');
      this.socket.uncork();
    }
  }

  /** The request was aborted mid-flight: what it left on the wire makes the connection unusable. */
  dropRequest(): void {
    this.request = undefined;
    this.read = Read.Idle;
    this.usable = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let at = 0;
    const length = chunk.length;
    while (at < length) {
      const request = this.request;
      if (request === undefined) {
        // Bytes nobody asked for: the server is out of step with us; nothing on this connection can be trusted.
        this.usable = false;
        this.socket.destroy();
        return;
      }
      switch (this.read) {
        case Read.Head:
          at = this.readHead(request, chunk, at);
          break;
        case Read.Fixed:
        case Read.ChunkData: {
          const n = Math.min(this.left, length - at);
          const part = at === 0 && n === length ? chunk : chunk.subarray(at, at + n);
          at += n;
          this.left -= n;
          request.handler.onResponseData?.(request, part);
          if (this.request !== request) return;
          if (this.left === 0) {
            if (this.read === Read.Fixed) this.complete(request, at < length);
            else this.read = Read.ChunkEnd;
          }
          break;
        }
        case Read.ChunkSize:
        case Read.ChunkEnd:
        case Read.Trailers:
          at = this.readLine(request, chunk, at);
          break;
        case Read.UntilClose: {
          const part = at === 0 ? chunk : chunk.subarray(at);
          at = length;
          request.handler.onResponseData?.(request, part);
          break;
        }
        default:
          return;
      }
      if (at < 0) return;
    }
  }

  /** Parses a response head from `chunk[at..]`; returns where it ended, or -1 to wait for more (or after a failure). */
  private readHead(request: PendingRequest, chunk: Buffer, at: number): number {
    let buf = chunk;
    let start = at;
    if (this.pending !== undefined) {
      buf = Buffer.concat([this.pending, chunk.subarray(at)]);
      start = 0;
      this.pending = undefined;
    }
    const end = buf.indexOf(HEAD_END, start);
    const max = this.pool.maxHeaderBytes;
    if (end < 0) {
      if (buf.length - start > max) return this.fail(tooLarge(max));
      this.pending = start === 0 ? buf : buf.subarray(start);
      return -1;
    }
    if (end - start > max) return this.fail(tooLarge(max));
    const head = parseHead(buf.toString('latin1', start, end));
    if (head instanceof HttpClientError) return this.fail(head);
    const { status, headers } = head;
    const next = end + 4;
    if (status < 200) {
      if (status === 101) {
        return this.fail(
          new HttpClientError(
            'HTTP_PARSE_ERROR',
            'the server switched protocols (101), which an HTTP step does not do',
          ),
        );
      }
      // 100 Continue, 103 Early Hints: an interim answer; the real one follows.
      if (buf === chunk) return next;
      if (next < buf.length) this.onData(buf.subarray(next));
      return -1;
    }
    // Framing (RFC 9112 §6.3): no body, chunked, a length, or until the connection closes.
    this.reuse = !head.close && (!head.http10 || head.keepAlive);
    if (head.keepAliveHintS >= 0) {
      this.keepAliveMs = Math.min(
        this.pool.keepAliveMs,
        Math.max(0, head.keepAliveHintS * 1000 - KEEP_ALIVE_MARGIN_MS),
      );
    }
    let read: Read;
    if (this.isHead || status === 204 || status === 304) {
      read = Read.Idle;
    } else if (head.coding !== Coding.None) {
      if (head.coding === Coding.Chunked) read = Read.ChunkSize;
      else {
        read = Read.UntilClose;
        this.reuse = false;
      }
      // A length beside a transfer coding is ignored, and the connection closed after (RFC 9112 §6.3).
      if (head.length !== NO_LENGTH) this.reuse = false;
    } else if (head.length !== NO_LENGTH) {
      if (head.length === BAD_LENGTH) {
        return this.fail(
          new HttpClientError(
            'HTTP_PARSE_ERROR',
            `invalid content-length: ${JSON.stringify(headers['content-length'])}`,
          ),
        );
      }
      this.left = head.length;
      read = head.length === 0 ? Read.Idle : Read.Fixed;
    } else {
      read = Read.UntilClose;
      this.reuse = false;
    }
    this.read = read;
    request.handler.onResponseStart?.(request, status, headers);
    if (this.request !== request) return -1;
    if (read === Read.Idle) {
      this.complete(request, next < buf.length);
      return -1;
    }
    if (buf === chunk) return next;
    // The head spanned reads: read on in the buffer joined above.
    if (next < buf.length) this.onData(buf.subarray(next));
    return -1;
  }

  /** Reads a chunk-size line, the CRLF after chunk data, or a trailer line. */
  private readLine(request: PendingRequest, chunk: Buffer, at: number): number {
    if (this.pending === undefined) {
      // The common lines, read off the bytes: every SSE event of a stream is a chunk with two of them.
      if (this.read === Read.ChunkEnd) {
        const next = lineEnd(chunk, at);
        if (next >= 0) {
          this.read = Read.ChunkSize;
          return next;
        }
      } else if (this.read === Read.ChunkSize) {
        const next = this.sizeLine(chunk, at);
        if (next >= 0) return next;
      }
    }
    const nl = chunk.indexOf(0x0a, at);
    if (nl < 0) {
      const pendingBytes = (this.pending?.length ?? 0) + chunk.length - at;
      if (pendingBytes > MAX_LINE_BYTES) {
        return this.fail(new HttpClientError('HTTP_PARSE_ERROR', 'a chunked-body line is too long'));
      }
      this.pending =
        this.pending === undefined
          ? Buffer.from(chunk.subarray(at))
          : Buffer.concat([this.pending, chunk.subarray(at)]);
      return -1;
    }
    let line = chunk.toString('latin1', at, nl);
    if (this.pending !== undefined) {
      line = this.pending.toString('latin1', 0, this.pending.length) + line;
      this.pending = undefined;
    }
    if (line.length > MAX_LINE_BYTES) {
      return this.fail(new HttpClientError('HTTP_PARSE_ERROR', 'a chunked-body line is too long'));
    }
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const next = nl + 1;
    if (this.read === Read.ChunkEnd) {
      if (line.length !== 0)
        return this.fail(new HttpClientError('HTTP_PARSE_ERROR', 'chunk data longer than its size'));
      this.read = Read.ChunkSize;
      return next;
    }
    if (this.read === Read.Trailers) {
      if (line.length === 0) {
        this.complete(request, next < chunk.length);
        return -1;
      }
      return next;
    }
    const semicolon = line.indexOf(';');
    const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).trim();
    if (!/^[0-9a-fA-F]{1,12}$/.test(digits)) {
      return this.fail(
        new HttpClientError('HTTP_PARSE_ERROR', `invalid chunk size: ${JSON.stringify(line.slice(0, 40))}`),
      );
    }
    this.startChunk(Number.parseInt(digits, 16));
    return next;
  }

  /** After a chunk-size line: the chunk's data, or the trailers after the last chunk. */
  private startChunk(size: number): void {
    if (size === 0) this.read = Read.Trailers;
    else {
      this.left = size;
      this.read = Read.ChunkData;
    }
  }

  /** A plain chunk-size line (hex digits, CRLF) at `at`: where the next line starts, or -1 for the general path. */
  private sizeLine(chunk: Buffer, at: number): number {
    let size = 0;
    let i = at;
    for (const end = Math.min(chunk.length, at + 12); i < end; i++) {
      const digit = hexDigit(chunk[i] as number);
      if (digit < 0) break;
      size = size * 16 + digit;
    }
    if (i === at) return -1;
    const next = lineEnd(chunk, i);
    if (next < 0) return -1;
    this.startChunk(size);
    return next;
  }

  /** The response ended; `extra` when bytes follow it that no request asked for. */
  private complete(request: PendingRequest, extra: boolean): void {
    this.request = undefined;
    this.read = Read.Idle;
    request.connection = undefined;
    const reuse = this.reuse && !extra && this.usable;
    if (!reuse) {
      this.usable = false;
      this.socket.destroy();
    }
    if (!request.done) {
      request.done = true;
      request.handler.onResponseEnd?.(request, NO_HEADERS);
    }
    if (reuse) this.pool.release(this);
  }

  /** The current response cannot be read on: the request fails and the connection closes. */
  private fail(error: Error): number {
    const request = this.request;
    this.request = undefined;
    this.read = Read.Idle;
    this.pending = undefined;
    this.usable = false;
    this.socket.destroy();
    if (request !== undefined) {
      request.connection = undefined;
      finish(request, error);
    }
    return -1;
  }

  private onEnd(): void {
    const request = this.request;
    if (request !== undefined && this.read === Read.UntilClose) {
      this.reuse = false;
      this.complete(request, false);
      return;
    }
    this.onClose(undefined);
  }

  /** The connection ended, failed or closed; `error` is the socket's own when it has one. */
  private onClose(error: Error | undefined): void {
    this.usable = false;
    if (!this.socket.destroyed) this.socket.destroy();
    const request = this.request;
    if (request !== undefined) {
      const started = this.read !== Read.Head || this.pending !== undefined;
      this.fail(
        error ??
          new HttpClientError(
            'SOCKET_CLOSED',
            started
              ? 'the server closed the connection mid-response'
              : 'the server closed the connection before responding',
          ),
      );
    }
    this.pool.onClose(this, this.connected, error);
  }
}

function openSocket(host: string, port: number): Socket {
  return connect({ host, port, noDelay: true });
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** Where the line after the CRLF (or bare LF) at `at` starts, or -1 when no line end is there. */
function lineEnd(chunk: Buffer, at: number): number {
  const byte = chunk[at];
  if (byte === 0x0a) return at + 1;
  if (byte === 0x0d && chunk[at + 1] === 0x0a) return at + 2;
  return -1;
}

function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

function tooLarge(max: number): HttpClientError {
  return new HttpClientError('HEADERS_TOO_LARGE', `the response head is larger than ${max} bytes`);
}

function finish(request: PendingRequest, error: Error): void {
  if (request.done) return;
  request.done = true;
  request.handler.onResponseError?.(request, error);
}

const NO_LENGTH = -1;
const BAD_LENGTH = -2;

enum Coding {
  None,
  Chunked,
  /** A transfer coding other than chunked last: the body ends with the connection. */
  Other,
}

/** A response head, with what frames its body read out of the headers as they were parsed. */
interface ResponseHead {
  status: number;
  http10: boolean;
  /** Names in lower case, repeated headers as arrays (as undici gives them). */
  headers: IncomingHttpHeaders;
  /** `content-length`, `NO_LENGTH` or `BAD_LENGTH` (not one number, or repeats that disagree). */
  length: number;
  coding: Coding;
  /** `connection: close` / `keep-alive`. */
  close: boolean;
  keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=N` (s), or -1. */
  keepAliveHintS: number;
}

/**
 * Parses a response head (status line and header lines, without the blank
 * line). One pass over one string: each response of a fast loop comes here,
 * so the framing headers are read as they are met, not looked up after.
 */
function parseHead(text: string): ResponseHead | HttpClientError {
  // "HTTP/1.x SSS reason"
  const c12 = text.charCodeAt(12);
  if (
    text.length < 12 ||
    !text.startsWith('HTTP/1.') ||
    text.charCodeAt(8) !== 0x20 ||
    !isDigit(text.charCodeAt(9)) ||
    !isDigit(text.charCodeAt(10)) ||
    !isDigit(text.charCodeAt(11)) ||
    (text.length > 12 && c12 !== 0x20 && c12 !== 0x0d)
  ) {
    return new HttpClientError(
      'HTTP_PARSE_ERROR',
      `the response did not start with an HTTP/1.x status line: ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const head: ResponseHead = {
    status: (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48),
    http10: text.charCodeAt(7) === 0x30,
    headers: {},
    length: NO_LENGTH,
    coding: Coding.None,
    close: false,
    keepAlive: false,
    keepAliveHintS: -1,
  };
  const headers = head.headers as Record<string, string | string[]>;
  const length = text.length;
  let from = text.indexOf('\r\n');
  from = from < 0 ? length : from + 2;
  while (from < length) {
    let to = text.indexOf('\r\n', from);
    if (to < 0) to = length;
    const colon = text.indexOf(':', from);
    if (colon < 0 || colon > to || colon === from) {
      return new HttpClientError(
        'HTTP_PARSE_ERROR',
        `malformed header line: ${JSON.stringify(text.slice(from, Math.min(to, from + 60)))}`,
      );
    }
    const name = headerName(text.slice(from, colon));
    let v = colon + 1;
    while (v < to && isSpace(text.charCodeAt(v))) v++;
    let e = to;
    while (e > v && isSpace(text.charCodeAt(e - 1))) e--;
    const value = text.slice(v, e);
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
    if (name.length === 14 && name === 'content-length') {
      const n = digits(value);
      head.length = n < 0 || (head.length !== NO_LENGTH && head.length !== n) ? BAD_LENGTH : n;
    } else if (name.length === 17 && name === 'transfer-encoding') {
      // The last coding decides (RFC 9112 §6.3); repeats read as one list.
      head.coding = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value) ? Coding.Chunked : Coding.Other;
    } else if (name.length === 10 && name === 'connection') {
      const lower = value.toLowerCase();
      if (lower === 'keep-alive') head.keepAlive = true;
      else if (lower === 'close') head.close = true;
      else {
        if (/(?:^|,)[ \t]*close[ \t]*(?:,|$)/.test(lower)) head.close = true;
        if (/(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/.test(lower)) head.keepAlive = true;
      }
    } else if (name.length === 10 && name === 'keep-alive') {
      const match = /timeout=(\d+)/i.exec(value);
      if (match !== null) head.keepAliveHintS = Number(match[1]);
    }
    from = to + 2;
  }
  return head;
}

/** Header names as sent, to their lower case: a server repeats the same few, and one string object per name makes a fast property key. */
const names = new Map<string, string>();
const MAX_NAMES = 512;

function headerName(raw: string): string {
  let name = names.get(raw);
  if (name === undefined) {
    name = raw.toLowerCase();
    if (names.size < MAX_NAMES) names.set(raw, name);
  }
  return name;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** A `content-length` value: the number, or -1 when it is not one (a list of equal numbers counts as one). */
function digits(value: string): number {
  const length = value.length;
  if (length === 0 || length > 15) return value.includes(',') ? listLength(value) : -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return value.includes(',') ? listLength(value) : -1;
    n = n * 10 + code - 0x30;
  }
  return n;
}

/** `content-length: 5, 5` (a proxy that merged repeats): one number when they agree. */
function listLength(value: string): number {
  let length = -1;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text)) return -1;
    const n = Number(text);
    if (length >= 0 && n !== length) return -1;
    length = n;
  }
  return length;
}

/** A request head up to its length, by header object: a step not templated sends the same one every time. */
interface CachedHead {
  method: string;
  path: string;
  host: string;
  text: string;
}
const heads = new WeakMap<object, CachedHead>();

/**
 * The request line and headers, ending in the blank line; throws for a
 * header that could inject others. A header object is read the first time
 * it is sent with a method, path and host, and its text reused after.
 */
function requestHead(options: RequestOptions, host: string, bodyLength: number): string {
  const { method, path, headers } = options;
  let text: string;
  const cached = headers === undefined ? undefined : heads.get(headers);
  if (cached !== undefined && cached.method === method && cached.path === path && cached.host === host) {
    text = cached.text;
  } else {
    text = headText(method, path, headers, host);
    if (headers !== undefined) heads.set(headers, { method, path, host, text });
  }
  return bodyLength >= 0 ? `${text}content-length: ${bodyLength}\r\n\r\n` : `${text}\r\n`;
}

function headText(
  method: string,
  path: string,
  headers: Record<string, string> | undefined,
  host: string,
): string {
  if (!TOKEN.test(method))
    throw new HttpClientError('INVALID_REQUEST', `invalid method: ${JSON.stringify(method)}`);
  if (BAD_PATH.test(path) || path.length === 0) {
    throw new HttpClientError('INVALID_REQUEST', `invalid request path: ${JSON.stringify(path)}`);
  }
  let text = '';
  let hasHost = false;
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (!TOKEN.test(name))
        throw new HttpClientError('INVALID_REQUEST', `invalid header name: ${JSON.stringify(name)}`);
      const v = String(value);
      if (BAD_VALUE.test(v)) throw new HttpClientError('INVALID_REQUEST', `invalid value for header ${name}`);
      const lower = name.length === 4 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
      // We frame the body ourselves.
      if (lower === 'content-length') continue;
      if (lower === 'transfer-encoding') {
        throw new HttpClientError(
          'INVALID_REQUEST',
          'a request body is sent with a content-length; transfer-encoding is not supported',
        );
      }
      if (lower === 'host') hasHost = true;
      text += `${name}: ${v}\r\n`;
    }
  }
  return `${method} ${path} HTTP/1.1\r\n${hasHost ? '' : `host: ${host}\r\n`}${text}`;
}

/** The connections to one `http://` origin. */
class OriginPool {
  readonly host: string;
  readonly hostname: string;
  readonly port: number;
  readonly keepAliveMs: number;
  readonly maxHeaderBytes: number;
  readonly connectTimeoutMs: number;
  readonly connect: (host: string, port: number) => Socket;
  private readonly max: number;
  /** Open connections with no request, the most recently used last. */
  private readonly idle: Connection[] = [];
  /** Requests waiting for a connection, oldest first from `queueHead`. */
  private queue: PendingRequest[] = [];
  private queueHead = 0;
  /** Connections open or opening. */
  private count = 0;
  /** Connections opening: each will take a queued request (or serve a warm-up) once open. */
  private opening = 0;
  closed = false;
  /** Everything open, for `destroy`. */
  readonly all = new Set<Connection>();
  private warming: ((socketOk: boolean) => void)[] = [];

  constructor(url: URL, options: HttpClientOptions) {
    this.host = url.host;
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = url.port === '' ? 80 : Number(url.port);
    this.keepAliveMs = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    this.maxHeaderBytes = options.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
    this.connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.connect = options.connect ?? openSocket;
    this.max = options.connections ?? Number.POSITIVE_INFINITY;
  }

  dispatch(options: RequestOptions, handler: RequestHandler): void {
    const request = new PendingRequest(this, options, handler);
    if (this.closed) {
      finish(request, new HttpClientError('CLIENT_CLOSED', 'the HTTP client is closed'));
      return;
    }
    const connection = this.takeIdle();
    if (connection !== undefined) {
      connection.send(request);
      return;
    }
    this.queue.push(request);
    if (this.count < this.max) this.open();
    handler.onRequestQueued?.(request);
  }

  private open(): Connection {
    this.count++;
    this.opening++;
    const connection = new Connection(this);
    this.all.add(connection);
    return connection;
  }

  /** The most recently used idle connection still worth using. */
  private takeIdle(): Connection | undefined {
    const idle = this.idle;
    while (idle.length > 0) {
      const connection = idle.pop() as Connection;
      if (!connection.usable) continue;
      if (performance.now() - connection.idleSince < connection.keepAliveMs) return connection;
      // Idle past the server's keep-alive hint: the server may be closing it right now.
      connection.usable = false;
      connection.socket.destroy();
    }
    return undefined;
  }

  /** The oldest queued request not already aborted. */
  private nextQueued(): PendingRequest | undefined {
    // `this.queue` is re-read each turn: emptying or compacting it below replaces the array.
    while (this.queueHead < this.queue.length) {
      const queue = this.queue;
      const request = queue[this.queueHead] as PendingRequest;
      queue[this.queueHead++] = undefined as unknown as PendingRequest;
      if (this.queueHead === queue.length) {
        this.queue = [];
        this.queueHead = 0;
      } else if (this.queueHead > 1024 && this.queueHead * 2 > queue.length) {
        this.queue = queue.slice(this.queueHead);
        this.queueHead = 0;
      }
      if (!request.done) return request;
    }
    return undefined;
  }

  onConnect(connection: Connection): void {
    this.opening--;
    const warm = this.warming.shift();
    if (warm !== undefined) warm(true);
    this.release(connection);
  }

  /** A connection has nothing to do: it takes the next queued request or waits (closes, once the client is closed). */
  release(connection: Connection): void {
    // Requests queued before `close` are still served.
    const next = this.nextQueued();
    if (next !== undefined) {
      connection.send(next);
      return;
    }
    if (this.closed) {
      connection.usable = false;
      connection.socket.destroy();
      return;
    }
    connection.idleSince = performance.now();
    this.idle.push(connection);
  }

  onClose(connection: Connection, connected: boolean, error: Error | undefined): void {
    if (!this.all.delete(connection)) return;
    this.count--;
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    if (!connected) {
      this.opening--;
      // It never connected: a warm-up hears so, else the oldest waiting request fails with the reason.
      const warm = this.warming.shift();
      if (warm !== undefined) warm(false);
      else {
        const request = this.nextQueued();
        if (request !== undefined) {
          finish(
            request,
            error ?? new HttpClientError('SOCKET_CLOSED', 'the connection closed before it opened'),
          );
        }
      }
    }
    // Requests still waiting that no opening connection will take get one of their own: at the
    // `connections` limit none may ever be released to them (`destroy` empties the queue first).
    if (this.queue.length - this.queueHead > this.opening && this.count < this.max) this.open();
  }

  /** Opens `count` connections, `WARM_BATCH` at a time, stopping at the first batch with a failure. */
  async warm(count: number): Promise<number> {
    let opened = 0;
    for (let left = Math.min(count, this.max - this.count); left > 0; left -= WARM_BATCH) {
      const batch = Math.min(left, WARM_BATCH);
      const results = await Promise.all(
        Array.from({ length: batch }, () => {
          const result = new Promise<boolean>((resolve) => this.warming.push(resolve));
          this.open();
          return result;
        }),
      );
      opened += results.filter(Boolean).length;
      if (results.includes(false)) break;
    }
    return opened;
  }

  close(): void {
    this.closed = true;
    for (const connection of this.idle.splice(0)) {
      connection.usable = false;
      connection.socket.destroy();
    }
  }

  destroy(): void {
    this.closed = true;
    const error = new HttpClientError('CLIENT_CLOSED', 'the HTTP client was destroyed');
    for (let request = this.nextQueued(); request !== undefined; request = this.nextQueued())
      finish(request, error);
    for (const connection of [...this.all]) {
      const request = connection.request;
      if (request !== undefined) request.abort(error);
      connection.usable = false;
      connection.socket.destroy();
    }
    this.idle.length = 0;
  }
}

/**
 * Sends requests to any origin: `http://` ones over this module's
 * connections, `https://` ones through an undici Agent (TLS is not worth a
 * client of our own).
 */
export class HttpClient implements HttpTransport {
  private readonly pools = new Map<string, OriginPool>();
  private lastOrigin = '';
  private lastPool: OriginPool | undefined;
  private tls: Agent | undefined;
  private tlsWarm: WarmConnector | undefined;
  /** After `close` or `destroy`: an origin first seen then gets a pool that is closed too. */
  private closed = false;

  constructor(private readonly options: HttpClientOptions = {}) {}

  dispatch(options: RequestOptions, handler: RequestHandler): boolean {
    const origin = options.origin;
    let pool = origin === this.lastOrigin ? this.lastPool : this.pools.get(origin);
    if (pool === undefined) {
      const url = new URL(origin);
      if (url.protocol === 'https:') return this.tlsAgent().dispatch(options, handler as never);
      if (url.protocol !== 'http:') {
        throw new HttpClientError('INVALID_REQUEST', `unsupported protocol ${url.protocol} in ${url.origin}`);
      }
      pool = this.newPool(url);
      this.pools.set(origin, pool);
    }
    this.lastOrigin = origin;
    this.lastPool = pool;
    pool.dispatch(options, handler);
    return true;
  }

  /** Opens `count` connections to `origin` ahead of the load; resolves with how many opened. */
  async warm(origin: string, count: number): Promise<number> {
    const url = new URL(origin);
    if (url.protocol === 'https:') {
      this.tlsAgent();
      return (this.tlsWarm as WarmConnector).warm(url.origin, count);
    }
    let pool = this.pools.get(url.origin);
    if (pool === undefined) {
      pool = this.newPool(url);
      this.pools.set(url.origin, pool);
    }
    return pool.warm(count);
  }

  private newPool(url: URL): OriginPool {
    const pool = new OriginPool(url, this.options);
    pool.closed = this.closed;
    return pool;
  }

  private tlsAgent(): Agent {
    if (this.tls === undefined) {
      this.tlsWarm = new WarmConnector();
      this.tls = new Agent({
        connections: this.options.connections ?? null,
        pipelining: 1,
        keepAliveTimeout: this.options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS,
        // Requests carry their own timeout (the step's); undici's timers would misclassify slow streams.
        headersTimeout: 0,
        bodyTimeout: 0,
        connect: this.tlsWarm.connect,
      });
    }
    return this.tls;
  }

  /** Stops new requests; requests in flight finish, then their connections close. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) pool.close();
    this.tlsWarm?.close();
    await this.tls?.close();
  }

  /** Ends everything now; requests in flight fail with `CLIENT_CLOSED`. */
  async destroy(): Promise<void> {
    this.closed = true;
    for (const pool of this.pools.values()) pool.destroy();
    this.tlsWarm?.close();
    await this.tls?.destroy();
  }
}
