/**
 * @module sim/mock-server
 * A mock OpenAI-compatible LLM server on `node:http`: routes, request bodies
 * and lifecycle; `mock-respond.ts` decides how each completion is answered.
 * `GET /metrics` serves the counters in Prometheus text with vLLM's names.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { listen } from './listen.js';
import { apiErrorBody, parseApiRequest } from './mock-apis.js';
import { type MockServerStats, prometheusText } from './mock-metrics.js';
import {
  errorBody,
  type MockEndpoint,
  type MockRequest,
  MockRequestError,
  modelsBody,
  parseMockRequest,
} from './mock-openai.js';
import { type MockProfile, type MockProfileInput, parseMockProfile } from './mock-profile.js';
import { embeddingsBody } from './mock-quality.js';
import { createResponder } from './mock-respond.js';
import { warmUpMock } from './mock-warm-up.js';

export type { MockServerStats } from './mock-metrics.js';

/** Where to listen and how to behave. */
export interface MockServerOptions {
  /** Default 0: a free port, read it back from `MockServer.port`. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  profile?: MockProfileInput;
  /** Cluster replica number, sent as `x-mock-replica` on every response. */
  replica?: number;
  /** Replaces this server's own `/metrics` body, e.g. with the sum over cluster workers. */
  metricsText?: () => Promise<string>;
  /**
   * Before listening, send a few requests through a throwaway server so the
   * first real ones are answered on time (`mock-warm-up.ts`). Default false;
   * the CLI's mock and the embedded mock turn it on.
   */
  warmUp?: boolean;
  /**
   * Listen on a socket of its own even in a cluster worker. The warm-up's
   * throwaway server needs it: on the shared socket its requests would reach
   * the other workers' real servers and show in their counters.
   */
  exclusive?: boolean;
}

/** A running mock server. */
export interface MockServer {
  /** `http://127.0.0.1:PORT`, no trailing slash; the OpenAI base URL is `${url}/v1`. */
  readonly url: string;
  readonly port: number;
  /** The validated profile, defaults filled in. */
  readonly profile: MockProfile;
  stats(): MockServerStats;
  /** Stops listening and closes idle and active connections at once. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const ROUTES: Record<string, MockEndpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completion',
  '/v1/messages': 'messages',
  '/v1/responses': 'responses',
};

function sendJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * Starts the mock server; resolves once it is listening.
 * @throws ConfigError when the profile is invalid.
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const profile = parseMockProfile(options.profile);
  if (options.warmUp === true) {
    await warmUpMock(() =>
      startMockServer({ profile: { ttft_ms: 1, itl_ms: 0, output_tokens: 32 }, exclusive: true }),
    );
  }
  const defaultModel = profile.models[0] as string;
  const counters: MockServerStats = {
    requests: 0,
    completed: 0,
    aborted: 0,
    streaming: 0,
    nonStreaming: 0,
    inFlight: 0,
    errors: 0,
    running: 0,
    waiting: 0,
    kvUsedTokens: 0,
    kvBudgetTokens: 0,
    preemptions: 0,
    rateLimited: 0,
    rejected: 0,
    faulted: 0,
    cacheHits: 0,
    cacheMisses: 0,
    cachedPromptTokens: 0,
    promptTokens: 0,
    generationTokens: 0,
    finishedStop: 0,
    finishedLength: 0,
  };
  const responder = createResponder(profile, counters, performance.now(), () => performance.now());
  const stats = (): MockServerStats => {
    responder.refreshGauges();
    return { ...counters };
  };

  /** An error in the format of the route's API (`endpoint` undefined: OpenAI's). */
  function sendError(
    res: ServerResponse,
    status: number,
    message: string,
    param: string | null = null,
    endpoint: MockEndpoint | undefined = undefined,
  ): void {
    counters.errors++;
    sendJson(res, status, apiErrorBody(endpoint, status, { message, param }));
  }

  function handleCompletion(
    endpoint: MockEndpoint,
    text: string,
    res: ServerResponse,
    arrival: number,
  ): void {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      sendError(
        res,
        400,
        'We could not parse the JSON body of your request: expected valid JSON.',
        null,
        endpoint,
      );
      return;
    }
    let request: MockRequest;
    try {
      request =
        endpoint === 'messages' || endpoint === 'responses'
          ? parseApiRequest(endpoint, body, defaultModel)
          : parseMockRequest(endpoint, body, defaultModel);
    } catch (err) {
      if (!(err instanceof MockRequestError)) throw err;
      sendError(res, 400, err.message, err.param, endpoint);
      return;
    }
    responder.respond(request, res, arrival);
  }

  function readBody(
    req: IncomingMessage,
    res: ServerResponse,
    onBody: (text: string) => void,
    endpoint?: MockEndpoint,
  ): void {
    const tooLarge = (): void => {
      // The rest of the body is not worth reading: answer, then drop the connection.
      res.setHeader('connection', 'close');
      sendError(res, 413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`, null, endpoint);
    };
    if (Number(req.headers['content-length']) > MAX_BODY_BYTES) {
      req.resume();
      tooLarge();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        refused = true;
        chunks.length = 0;
        tooLarge();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) onBody(Buffer.concat(chunks, size).toString('utf8'));
    });
    // A client that leaves mid-body gets no answer; the socket is already gone.
    req.on('error', () => {});
  }

  const server = createServer({ noDelay: true, keepAlive: true }, (req, res) => {
    const arrival = performance.now();
    counters.requests++;
    if (options.replica !== undefined) res.setHeader('x-mock-replica', String(options.replica));
    const given = req.headers['x-request-id'];
    res.setHeader(
      'x-request-id',
      typeof given === 'string' && given !== '' ? given : `mock-${counters.requests}`,
    );
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (req.method === 'GET' && path === '/v1/models') {
      req.resume();
      sendJson(res, 200, modelsBody(profile.models, Math.floor(Date.now() / 1000)));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      req.resume();
      const own = options.metricsText;
      const body = own === undefined ? Promise.resolve(prometheusText(stats(), defaultModel)) : own();
      body.then(
        (text) => {
          res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
          res.end(text);
        },
        (err: unknown) => sendJson(res, 500, errorBody(String(err), null, null, 'server_error')),
      );
      return;
    }
    if (req.method === 'POST' && path === '/v1/embeddings') {
      readBody(req, res, (text) => {
        try {
          sendJson(res, 200, embeddingsBody(JSON.parse(text), defaultModel));
        } catch (err) {
          if (err instanceof MockRequestError) sendError(res, 400, err.message, err.param);
          else sendError(res, 400, 'We could not parse the JSON body of your request: expected valid JSON.');
        }
      });
      return;
    }
    const endpoint = req.method === 'POST' ? ROUTES[path] : undefined;
    if (endpoint === undefined) {
      req.resume();
      sendError(res, 404, `Invalid URL (${req.method ?? 'GET'} ${path})`);
      return;
    }
    readBody(
      req,
      res,
      (text) => {
        try {
          handleCompletion(endpoint, text, res, arrival);
        } catch (err) {
          if (res.headersSent) res.destroy();
          else
            sendJson(res, 500, apiErrorBody(endpoint, 500, { message: String(err), type: 'server_error' }));
        }
      },
      endpoint,
    );
  });
  // Longer than clients' idle pools, so a pause between requests does not cost a reconnect.
  server.keepAliveTimeout = 65_000;

  const host = options.host ?? '127.0.0.1';
  const { port, url } = await listen(server, options.port ?? 0, host, options.exclusive === true);

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    profile,
    stats,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        responder.stop();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
