/**
 * @module sim/proxy/proxy-server
 * The fault proxy: a `node:http` listener that forwards every request to one
 * upstream through undici and streams the answer back chunk by chunk (SSE
 * included, no buffering), injecting the faults of its current fault set.
 * `GET|POST /__tokenstorm/faults` reads or replaces that set at run time.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Agent, type Dispatcher } from 'undici';
import { ConfigError } from '../../core/index.js';
import { createRng, type Rng } from '../../random/index.js';
import { listen } from '../listen.js';
import { apiErrorBody } from '../mock-apis.js';
import { CONTROL_PATH } from './proxy-control.js';
import {
  type CompiledFaults,
  compileFaults,
  type ProxyDecision,
  type ProxyFaultSet,
  type ProxyFaultSetInput,
  parseProxyFaults,
} from './proxy-faults.js';
import { pipeResponse } from './proxy-stream.js';

export interface FaultProxyOptions {
  /** Base URL requests go to, e.g. `http://127.0.0.1:8000`; its path is prefixed to each request path. */
  upstream: string;
  port?: number;
  host?: string;
  faults?: ProxyFaultSetInput;
}

/** Counters since the proxy started. */
export interface FaultProxyStats {
  requests: number;
  /** Requests hit by at least one fault. */
  faulted: number;
  /** Requests whose upstream could not be reached (answered 502). */
  upstreamErrors: number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: use it in place of the upstream's origin. */
  readonly url: string;
  readonly port: number;
  /** The active fault set. */
  faults(): ProxyFaultSet;
  /** Replaces the active fault set. @throws ConfigError when invalid */
  setFaults(faults: ProxyFaultSetInput): void;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
]);

function forwardHeaders(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      } catch {
        reject(new ConfigError('the body is not valid JSON'));
      }
    });
  });
}

/** Starts the proxy; resolves once it is listening. @throws ConfigError for a bad upstream or fault set */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let upstream: URL;
  try {
    upstream = new URL(options.upstream);
    if (!/^https?:$/.test(upstream.protocol)) throw new Error('not http');
  } catch {
    throw new ConfigError(
      `--upstream: expected an http(s) URL, got ${JSON.stringify(options.upstream)}`,
      'TS_ARGS_INVALID',
    );
  }
  const prefix = upstream.pathname.replace(/\/$/, '');
  let compiled: CompiledFaults = compileFaults(parseProxyFaults(options.faults ?? {}));
  let rng: Rng = createRng(compiled.set.seed);
  const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 1024 });
  const counters: FaultProxyStats = { requests: 0, faulted: 0, upstreamErrors: 0 };
  const open = new Set<() => void>();

  const setFaults = (input: ProxyFaultSetInput, source?: string): void => {
    compiled = compileFaults(parseProxyFaults(input, source));
    rng = createRng(compiled.set.seed);
  };

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET') {
      req.resume();
      sendJson(res, 200, compiled.set);
      return;
    }
    if (req.method !== 'POST' && req.method !== 'PUT') {
      req.resume();
      sendJson(res, 405, { error: { message: 'use GET or POST' } });
      return;
    }
    try {
      setFaults((await readJson(req)) as ProxyFaultSetInput, 'POST /__tokenstorm/faults');
      sendJson(res, 200, compiled.set);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      sendJson(res, 400, { error: { message: err.message } });
    }
  }

  function forward(req: IncomingMessage, res: ServerResponse, path: string, decision: ProxyDecision): void {
    const abort = new AbortController();
    let settled = false;
    const stop = (): void => {
      if (settled) return;
      settled = true;
      open.delete(stop);
      // The client left (or the proxy closes): stop the upstream request too, so it sees the cancel.
      abort.abort();
    };
    open.add(stop);
    res.on('close', stop);
    dispatcher
      .request({
        origin: upstream.origin,
        path: prefix + path,
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        headers: forwardHeaders(req.headers),
        body: req.method === 'GET' || req.method === 'HEAD' ? null : req,
        signal: abort.signal,
        headersTimeout: 0,
        bodyTimeout: 0,
      })
      .then(
        (up) => pipeResponse(up, res, decision, abort),
        (err: unknown) => {
          if (abort.signal.aborted || res.headersSent) return;
          counters.upstreamErrors++;
          const code = (err as { code?: string }).code ?? 'error';
          sendJson(res, 502, { error: { message: `upstream unreachable (${code})`, type: 'proxy_error' } });
        },
      )
      .catch(() => res.destroy());
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const arrival = performance.now();
    counters.requests++;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    if (pathname === CONTROL_PATH) {
      control(req, res).catch(() => res.destroy());
      return;
    }
    const decision = compiled.decide(pathname, rng);
    if (decision.kinds.length > 0) counters.faulted++;
    const act = (): void => {
      if (res.destroyed) return;
      if (decision.reset) {
        req.socket.resetAndDestroy();
        return;
      }
      if (decision.status !== undefined) {
        req.resume();
        const limited = decision.status === 429;
        const status = decision.status;
        // In the format of the API the path is (Anthropic's on .../messages), as its SDK expects.
        const endpoint = pathname.endsWith('/messages') ? 'messages' : undefined;
        const body = apiErrorBody(endpoint, status, {
          message: limited
            ? 'Rate limit reached (injected by tokenstorm proxy).'
            : 'Injected by tokenstorm proxy.',
          type: limited ? 'requests' : 'proxy_fault',
          code: limited ? 'rate_limit_exceeded' : null,
        });
        res.writeHead(status, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(decision.retryAfterS !== undefined ? { 'retry-after': String(decision.retryAfterS) } : {}),
        });
        res.end(body);
        return;
      }
      forward(req, res, url, decision);
    };
    if (decision.delayMs > 0) {
      // Hold the request (its body too: undici reads it only when forwarding). libuv timers fire
      // up to a millisecond late, so the timer wakes a little early and the last stretch is polled.
      const due = arrival + decision.delayMs;
      let timer: NodeJS.Timeout | undefined;
      const poll = (): void => {
        timer = undefined;
        if (performance.now() >= due) act();
        else setImmediate(poll);
      };
      timer = setTimeout(poll, Math.max(0, decision.delayMs - 1.5));
      res.on('close', () => {
        if (timer !== undefined) clearTimeout(timer);
      });
    } else act();
  }

  const server = createServer({ noDelay: true, keepAlive: true }, handle);
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  const { port, url } = await listen(server, options.port ?? 0, host);
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    faults: () => compiled.set,
    setFaults: (input) => setFaults(input),
    stats: () => ({ ...counters }),
    close: () => {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const stop of open) stop();
        server.closeAllConnections();
        await closed;
        await dispatcher.close().catch(() => {});
      })();
      return closing;
    },
  };
}
