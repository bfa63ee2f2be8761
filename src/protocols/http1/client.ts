/**
 * @module protocols/http1/client
 * The generator's HTTP/1.1 client for `http://` targets: keep-alive
 * connections per origin, one request at a time on each, the request head
 * written in one piece and the response parsed as it arrives. `https://`
 * targets go through undici; the handler API is a subset of undici's
 * dispatch handler, so one handler serves both clients.
 * Why not undici for plain HTTP: measured 0.63-0.78x autocannon's req/s
 * against 1.3-1.5x for this client (docs/design/2026-12-07-hot-path-headers.md).
 */
import type { Agent } from 'undici';
import { undici } from '../../core/index.js';
import { WarmConnector } from '../warm-connector.js';
import { DEFAULT_KEEP_ALIVE_MS, OriginPool } from './origin-pool.js';
import {
  HttpClientError,
  type HttpClientOptions,
  type HttpTransport,
  type RequestHandler,
  type RequestOptions,
} from './types.js';

/**
 * Sends requests to any origin: `http://` ones over this module's
 * connections, `https://` ones through an undici Agent (TLS is not worth a
 * client of our own).
 */
export class HttpClient implements HttpTransport {
  private readonly pools = new Map<string, OriginPool>();
  private tls: Agent | undefined;
  private tlsWarm: WarmConnector | undefined;
  /** After `close` or `destroy`: an origin first seen then gets a pool that is closed too. */
  private closed = false;

  constructor(private readonly options: HttpClientOptions = {}) {}

  dispatch(options: RequestOptions, handler: RequestHandler): boolean {
    const origin = options.origin;
    // No last-origin shortcut: its other branch first ran when a run's real origin followed the
    // warm-up's, and threw away the optimised code of the whole send path at the start.
    let pool = this.pools.get(origin);
    if (pool === undefined) {
      const url = new URL(origin);
      if (url.protocol === 'https:') return this.tlsAgent().dispatch(options, handler as never);
      if (url.protocol !== 'http:') {
        throw new HttpClientError('INVALID_REQUEST', `unsupported protocol ${url.protocol} in ${url.origin}`);
      }
      pool = this.newPool(url);
      this.pools.set(origin, pool);
    }
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
      this.tls = new (undici().Agent)({
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
