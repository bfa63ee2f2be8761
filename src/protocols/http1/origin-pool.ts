/**
 * @module protocols/http1/origin-pool
 * The connections to one origin: idle ones reused most recent first, a queue
 * of requests waiting for one, new ones opened up to the limit.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { WARM_BATCH } from '../warm-connector.js';
import { Connection } from './connection.js';
import { finish, PendingRequest } from './pending-request.js';
import { requestHead } from './request-head.js';
import {
  HttpClientError,
  type HttpClientOptions,
  type RequestHandler,
  type RequestOptions,
} from './types.js';

export const DEFAULT_KEEP_ALIVE_MS = 30_000;
const DEFAULT_MAX_HEADER_BYTES = 16 * 1024;
const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** The connections to one `http://` origin. */
export class OriginPool {
  readonly host: string;
  readonly hostname: string;
  readonly port: number;
  readonly keepAliveMs: number;
  readonly maxHeaderBytes: number;
  readonly connectTimeoutMs: number;
  /** Opens a socket whose bytes go to `onData` (valid only during the call). */
  readonly connect: (host: string, port: number, onData: (chunk: Buffer) => void) => Socket;
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
    const custom = options.connect;
    this.connect =
      custom === undefined ? openSocket : (host, port, onData) => custom(host, port).on('data', onData);
    this.max = options.connections ?? Number.POSITIVE_INFINITY;
  }

  dispatch(options: RequestOptions, handler: RequestHandler): void {
    let head = '';
    let invalid: Error | undefined;
    try {
      // Checked before any connection is taken or opened: a header that could inject a line goes nowhere.
      head = requestHead(options, this.host, options.body == null ? -1 : Buffer.byteLength(options.body));
    } catch (err) {
      invalid = err as Error;
    }
    const request = new PendingRequest(options, head, handler);
    if (invalid !== undefined || this.closed) {
      finish(request, invalid ?? new HttpClientError('CLIENT_CLOSED', 'the HTTP client is closed'));
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

  /**
   * Sends `request` again on a connection of its own (the one it went on was closed under it, see
   * `Connection.onClose`); its handler hears why first (`onRequestRetry`).
   */
  retry(request: PendingRequest, reason: Error): void {
    request.retried = true;
    if (request.done) return;
    request.handler.onRequestRetry?.(request, reason);
    if (request.done) return;
    const connection = this.open();
    connection.reserved = request;
    connection.forRetry = true;
  }

  onConnect(connection: Connection): void {
    this.opening--;
    const reserved = connection.reserved;
    if (reserved !== undefined) {
      connection.reserved = undefined;
      if (!reserved.done) {
        connection.send(reserved);
        return;
      }
      this.release(connection);
      return;
    }
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
      // It never connected: a warm-up hears so, else the oldest waiting request fails with the reason
      // (one opened for a retried request: that request has heard, see `Connection.onClose`).
      const warm = connection.forRetry ? undefined : this.warming.shift();
      if (warm !== undefined) warm(false);
      else if (!connection.forRetry) {
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
 * Every connection of a thread reads into this one buffer (`onread`), which
 * skips the stream machinery a `data` event goes through (~0.8 µs a read
 * under `--cpu-prof`: `onStreamRead`, `addChunk`, `emit`, `maybeReadMore`,
 * and a new buffer each time). Reads are handled synchronously, and what a
 * connection keeps past one (an unfinished head or line) it copies.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function openSocket(host: string, port: number, onData: (chunk: Buffer) => void): Socket {
  return connect({
    host,
    port,
    noDelay: true,
    onread: {
      buffer: READ_BUFFER,
      callback: (bytes: number, buffer: Uint8Array) => {
        onData((buffer as Buffer).subarray(0, bytes));
        return true;
      },
    },
  });
}
