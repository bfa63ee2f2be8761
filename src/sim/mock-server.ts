/**
 * @module sim/mock-server
 * A mock OpenAI-compatible LLM server on `node:http`: seeded answers, token
 * timing drawn from the profile, SSE streaming, and counters a test can read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createRng, createSampler, deriveSeed } from '../random/index.js';
import {
  completionBody,
  createStreamEncoder,
  errorBody,
  type MockEndpoint,
  type MockRequest,
  MockRequestError,
  modelsBody,
  parseMockRequest,
} from './mock-openai.js';
import { type MockProfile, type MockProfileInput, parseMockProfile } from './mock-profile.js';
import { countPromptTokens, createAnswer } from './mock-text.js';

/** Where to listen and how to behave. */
export interface MockServerOptions {
  /** Default 0: a free port, read it back from `MockServer.port`. */
  port?: number;
  /** Default `127.0.0.1`. */
  host?: string;
  profile?: MockProfileInput;
}

/** Counters since the server started. */
export interface MockServerStats {
  /** Every HTTP request received, on any route. */
  requests: number;
  /** Completions answered in full. */
  completed: number;
  /** Completions whose client disconnected before the answer was sent. */
  aborted: number;
  streaming: number;
  nonStreaming: number;
  /** Completions being generated now. */
  inFlight: number;
  /** Requests refused with a 4xx status. */
  errors: number;
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
/** Sub-stream of the profile seed for timing draws; answers use the prompt hash instead. */
const TIMING_STREAM = 0x71;
const ROUTES: Record<string, MockEndpoint> = {
  '/v1/chat/completions': 'chat',
  '/v1/completions': 'completion',
};

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

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
  const ttft = createSampler(profile.ttft_ms);
  const itl = createSampler(profile.itl_ms);
  const outputTokens = createSampler(profile.output_tokens);
  const timingRng = createRng(deriveSeed(profile.seed, TIMING_STREAM));
  const defaultModel = profile.models[0] as string;
  const counters: MockServerStats = {
    requests: 0,
    completed: 0,
    aborted: 0,
    streaming: 0,
    nonStreaming: 0,
    inFlight: 0,
    errors: 0,
  };
  let completions = 0;
  /** Stops the generation of each response in progress and settles its counters; run once per response. */
  const active = new Set<() => void>();

  function sendError(
    res: ServerResponse,
    status: number,
    message: string,
    param: string | null = null,
  ): void {
    counters.errors++;
    sendJson(res, status, errorBody(message, param));
  }

  function respond(req: MockRequest, res: ServerResponse, arrival: number): void {
    const answer = createAnswer(profile.seed, req.prompt, outputTokens, req.maxTokens);
    const { tokens } = answer;
    const promptTokens = countPromptTokens(req.prompt);
    const usage = {
      prompt_tokens: promptTokens,
      completion_tokens: tokens.length,
      total_tokens: promptTokens + tokens.length,
    };
    completions++;
    const id = `${req.endpoint === 'chat' ? 'chatcmpl' : 'cmpl'}-mock-${completions}`;
    const created = Math.floor(Date.now() / 1000);
    let timer: NodeJS.Timeout | undefined;
    counters.inFlight++;
    if (req.stream) counters.streaming++;
    else counters.nonStreaming++;
    const settle = (): void => {
      if (!active.delete(settle)) return;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      counters.inFlight--;
      if (res.writableFinished) counters.completed++;
      else counters.aborted++;
    };
    active.add(settle);
    // 'close' comes after a finished response and after a client disconnect alike.
    res.on('close', settle);

    if (!req.stream) {
      let total = ttft(timingRng);
      for (let i = 1; i < tokens.length; i++) total += itl(timingRng);
      timer = setTimeout(
        () => {
          timer = undefined;
          sendJson(res, 200, completionBody(req, id, created, tokens.join(''), answer.finishReason, usage));
        },
        arrival + total - performance.now(),
      );
      return;
    }

    const encoder = createStreamEncoder(req, id, created);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // The role-only chunk goes out with the headers: clients must not take it for the first token.
    if (req.endpoint === 'chat') res.write(encoder.role());
    else res.flushHeaders();
    let next = 0;
    // Absolute target times: a late timer delays one token, never the ones after it. libuv's
    // clock is in whole ms, so a timer can fire a little early; then it waits again (never early).
    let due = arrival + ttft(timingRng);
    const tick = (): void => {
      timer = undefined;
      const now = performance.now();
      while (next < tokens.length && due <= now) {
        res.write(encoder.token(tokens[next] as string));
        next++;
        if (next < tokens.length) due += itl(timingRng);
      }
      if (next < tokens.length) {
        timer = setTimeout(tick, due - performance.now());
        return;
      }
      let tail = encoder.finish(answer.finishReason);
      if (req.includeUsage) tail += encoder.usage(usage);
      res.end(tail + encoder.done());
    };
    timer = setTimeout(tick, due - performance.now());
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
      sendError(res, 400, 'We could not parse the JSON body of your request: expected valid JSON.');
      return;
    }
    let request: MockRequest;
    try {
      request = parseMockRequest(endpoint, body, defaultModel);
    } catch (err) {
      if (!(err instanceof MockRequestError)) throw err;
      sendError(res, 400, err.message, err.param);
      return;
    }
    respond(request, res, arrival);
  }

  function readBody(req: IncomingMessage, res: ServerResponse, onBody: (text: string) => void): void {
    const tooLarge = (): void => {
      // The rest of the body is not worth reading: answer, then drop the connection.
      res.setHeader('connection', 'close');
      sendError(res, 413, `Request body is larger than ${MAX_BODY_BYTES} bytes.`);
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
    const endpoint = req.method === 'POST' ? ROUTES[path] : undefined;
    if (endpoint === undefined) {
      req.resume();
      sendError(res, 404, `Invalid URL (${req.method ?? 'GET'} ${path})`);
      return;
    }
    readBody(req, res, (text) => {
      try {
        handleCompletion(endpoint, text, res, arrival);
      } catch (err) {
        if (res.headersSent) res.destroy();
        else sendJson(res, 500, errorBody(String(err), null, null, 'server_error'));
      }
    });
  });
  // Longer than clients' idle pools, so a pause between requests does not cost a reconnect.
  server.keepAliveTimeout = 65_000;

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    profile,
    stats: () => ({ ...counters }),
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const settle of active) settle();
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
