/**
 * @module protocols/http1/connection
 * One keep-alive connection: writes a request, then reads its response as
 * bytes arrive (head, then a body framed by length, chunks or the close).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import { chunkSizeOf, hexDigit, lineEnd } from './chunk-lines.js';
import { finish, type PendingRequest } from './pending-request.js';
import { BAD_LENGTH, Coding, headTooLarge, NO_LENGTH, parseHead } from './response-head.js';
import { type TurnWriter, writeThisTurn } from './turn-writes.js';
import { HttpClientError } from './types.js';

/** Taken off a server's keep-alive hint, so we drop a connection before the server does. */
const KEEP_ALIVE_MARGIN_MS = 1_000;
/** Longest chunk-size or trailer line accepted. */
const MAX_LINE_BYTES = 4 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
const NO_HEADERS: IncomingHttpHeaders = Object.freeze({}) as IncomingHttpHeaders;
/** Methods a request may be sent again with (RFC 9110 §9.2.2). */
const IDEMPOTENT: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
/** Why a request on a reused connection got no answer. */
export const REUSE_CLOSED =
  'connection closed by the server after reuse; its keep-alive is shorter than advertised';

/**
 * The pool a connection belongs to, as the connection sees it (origin-pool.ts's `OriginPool`;
 * an interface, so the two files do not import each other).
 */
export interface ConnectionPool {
  readonly host: string;
  readonly hostname: string;
  readonly port: number;
  readonly keepAliveMs: number;
  readonly maxHeaderBytes: number;
  readonly connectTimeoutMs: number;
  readonly connect: (host: string, port: number, onData: (chunk: Buffer) => void) => Socket;
  onConnect(connection: Connection): void;
  release(connection: Connection): void;
  onClose(connection: Connection, connected: boolean, error: Error | undefined): void;
  retry(request: PendingRequest, reason: Error): void;
}

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

/** One keep-alive connection and the response it is reading. */
export class Connection implements TurnWriter {
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
  /** The current request's bytes have gone to the socket (or it was dropped before they did). */
  private written = true;
  /** Bytes of an unfinished response head or line, waiting for the rest. */
  private pending: Buffer | undefined = undefined;
  /** Responses completed on this connection: a request sent after one went on a reused connection. */
  private served = 0;
  /** A retried request this connection opened for; it takes it once open (see `OriginPool.retry`). */
  reserved: PendingRequest | undefined = undefined;
  /** Opened for a retried request (not for the queue or a warm-up). */
  forRetry = false;

  constructor(readonly pool: ConnectionPool) {
    this.keepAliveMs = pool.keepAliveMs;
    const socket = pool.connect(pool.hostname, pool.port, (chunk) => this.onData(chunk));
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
    socket.on('end', () => this.onEnd());
    socket.on('error', (err: Error) => this.onClose(err));
    socket.on('close', () => this.onClose(undefined));
  }

  /**
   * Takes a request; it is written with the others sent in this turn of the
   * event loop (turn-writes.ts). Until then an abort releases the
   * connection rather than closing it: nothing is on the wire yet.
   */
  send(request: PendingRequest): void {
    this.request = request;
    this.read = Read.Head;
    this.isHead = request.options.method === 'HEAD';
    this.reuse = true;
    this.written = false;
    request.connection = this;
    writeThisTurn(this);
  }

  /** Writes the request taken; the handler may abort it in `onRequestStart`, before anything is written. */
  write(): void {
    const request = this.request;
    if (request === undefined || this.written) return;
    request.handler.onRequestStart?.(request, undefined);
    // Aborted there (dropRequest released the connection, which may have taken another request).
    if (request.done || this.request !== request) return;
    this.written = true;
    const body = request.options.body;
    if (body == null || body.length === 0) {
      this.socket.write(request.head, 'latin1');
    } else {
      this.socket.cork();
      this.socket.write(request.head, 'latin1');
      this.socket.write(body, 'utf8');
      this.socket.uncork();
    }
  }

  /** The request was aborted: once written, what it left on the wire makes the connection unusable. */
  dropRequest(): void {
    this.request = undefined;
    this.read = Read.Idle;
    if (!this.written && this.usable) {
      this.pool.release(this);
      return;
    }
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
      if (buf.length - start > max) return this.fail(headTooLarge(max));
      // A copy: the read buffer is reused (a joined buffer is already one).
      this.pending = buf === chunk ? Buffer.from(buf.subarray(start)) : buf.subarray(start);
      return -1;
    }
    if (end - start > max) return this.fail(headTooLarge(max));
    const head = parseHead(buf.toString('latin1', start, end));
    if (head instanceof HttpClientError) return this.fail(head);
    const { status, headers } = head;
    const next = end + 4;
    if (status < 200) {
      if (status === 101) {
        return this.failParse('the server switched protocols (101), which an HTTP step does not do');
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
        return this.failParse(`invalid content-length: ${JSON.stringify(headers['content-length'])}`);
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
      if (pendingBytes > MAX_LINE_BYTES) return this.failParse('a chunked-body line is too long');
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
    if (line.length > MAX_LINE_BYTES) return this.failParse('a chunked-body line is too long');
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const next = nl + 1;
    if (this.read === Read.ChunkEnd) {
      if (line.length !== 0) return this.failParse('chunk data longer than its size');
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
    const size = chunkSizeOf(line);
    if (size < 0) return this.failParse(`invalid chunk size: ${JSON.stringify(line.slice(0, 40))}`);
    this.startChunk(size);
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
    this.served++;
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

  /** The response breaks HTTP/1.1 (`HTTP_PARSE_ERROR`): see {@link Connection.fail}. */
  private failParse(message: string): number {
    return this.fail(new HttpClientError('HTTP_PARSE_ERROR', message));
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

  /**
   * The connection ended, failed or closed; `error` is the socket's own when it has one.
   * A request on a reused connection that got no byte of its answer met the keep-alive race: the
   * server closed the connection as the request went out. An idempotent one, or one not written
   * yet, is sent again, once, on a new connection (as browsers and undici do); any other fails
   * saying so.
   */
  private onClose(error: Error | undefined): void {
    this.usable = false;
    if (!this.socket.destroyed) this.socket.destroy();
    const request = this.request;
    let retry: PendingRequest | undefined;
    const code = (error as { code?: string } | undefined)?.code;
    if (request !== undefined) {
      const started = this.read !== Read.Head || this.pending !== undefined;
      // Taken but not yet written (writes wait for the end of the turn): the server never saw it.
      const unsent = !this.written;
      const raced =
        !started &&
        this.served > 0 &&
        (unsent || error === undefined || code === 'ECONNRESET' || code === 'EPIPE');
      if (raced && !request.retried && (unsent || IDEMPOTENT.has(request.options.method))) {
        this.request = undefined;
        this.read = Read.Idle;
        request.connection = undefined;
        retry = request;
      } else {
        this.fail(
          raced
            ? new HttpClientError(code ?? 'SOCKET_CLOSED', REUSE_CLOSED)
            : (error ??
                new HttpClientError(
                  'SOCKET_CLOSED',
                  started
                    ? 'the server closed the connection mid-response'
                    : 'the server closed the connection before responding',
                )),
        );
      }
    }
    if (this.reserved !== undefined) {
      // It closed before it opened: the retried request it was for fails with the reason.
      const reserved = this.reserved;
      this.reserved = undefined;
      finish(
        reserved,
        error ?? new HttpClientError('SOCKET_CLOSED', 'the connection closed before it opened'),
      );
    }
    this.pool.onClose(this, this.connected, error);
    if (retry !== undefined)
      this.pool.retry(retry, new HttpClientError(code ?? 'SOCKET_CLOSED', REUSE_CLOSED));
  }
}
