/**
 * @module protocols/steps
 * Turns a test step into a ready-to-send request once, before the run (no JSON
 * work per request), and runs it into a measurement.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ChatStep, CompletionStep, Step } from '../config/index.js';
import { type ErrorKind, type RequestRecord, roundMs, type StepKind } from '../metrics/index.js';
import type { Clock } from './clock.js';
import { type ExchangeResult, exchangeThen } from './exchange.js';
import { HttpSink } from './http-sink.js';
import type { HttpMethod, HttpTransport } from './http1/index.js';
import { MAX_RECORD_GAPS } from './limits.js';
import { OpenAISink } from './openai-sink.js';
import { DEFAULT_MAX_REDIRECTS } from './redirects.js';
import { countPromptTokens, countTokensYielding } from './tokens.js';

/** A step with its URL, headers and body prepared. */
export interface CompiledStep {
  index: number;
  name: string;
  kind: StepKind;
  origin: string;
  path: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  /** Redirects followed at most; 0 records a redirect as `http_3xx`. */
  maxRedirects: number;
  expectStatus: readonly number[] | undefined;
  /** A model step answered as an SSE stream. */
  stream: boolean;
  /** Prompt tokens by the client's tokenizer, counted once. */
  inputTokensClient: number | undefined;
  /** The prompt's count while a long prompt is counted between turns of the event loop. */
  inputTokensPending: Promise<number> | undefined;
}

/** The part of a `RequestRecord` a protocol measures. */
export type StepMeasurement = Pick<
  RequestRecord,
  | 'outcome'
  | 'error'
  | 'message'
  | 'status'
  | 'sent'
  | 'end'
  | 'ttfbMs'
  | 'ttftMs'
  | 'e2eMs'
  | 'tpotMs'
  | 'itlMs'
  | 'chunks'
  | 'inputTokens'
  | 'outputTokens'
  | 'inputTokensClient'
  | 'outputTokensClient'
  | 'redirects'
  | 'encoding'
  | 'ttfcMs'
  | 'reasoningTokens'
  | 'reasoningMs'
  | 'tpotReasoningMs'
  | 'tpotContentMs'
>;

export interface StepContext {
  dispatcher: HttpTransport;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

interface Defaults {
  /** API base URL, e.g. `http://127.0.0.1:8000/v1`. */
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The test's `max_redirects` (default {@link DEFAULT_MAX_REDIRECTS}). */
  maxRedirects?: number | undefined;
}

interface Endpoint {
  origin: string;
  /** Path and query. */
  path: string;
}

/** Endpoints by base URL and path: a templated step is compiled per iteration, its URL mostly the same. */
const endpoints = new Map<string, Map<string, Endpoint>>();
const MAX_ENDPOINTS = 1024;

function endpointOf(base: string, path: string): Endpoint {
  let byPath = endpoints.get(base);
  if (byPath === undefined) {
    if (endpoints.size >= MAX_ENDPOINTS) endpoints.clear();
    byPath = new Map();
    endpoints.set(base, byPath);
  }
  let endpoint = byPath.get(path);
  if (endpoint === undefined) {
    const url = joinUrl(base, path);
    endpoint = { origin: url.origin, path: url.pathname + url.search };
    // A URL templated per iteration would otherwise grow this without bound.
    if (byPath.size >= MAX_ENDPOINTS) byPath.clear();
    byPath.set(path, endpoint);
  }
  return endpoint;
}

function joinUrl(base: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return new URL(trimmed + (path.startsWith('/') ? path : `/${path}`));
}

const MODEL_FIELDS = ['max_tokens', 'temperature', 'top_p', 'stop', 'seed'] as const;

function modelBody(step: ChatStep | CompletionStep, input: 'messages' | 'prompt', value: unknown): string {
  const body: Record<string, unknown> = { model: step.model };
  body[input] = value;
  body.stream = step.stream;
  if (step.stream) body.stream_options = { include_usage: true };
  for (const key of MODEL_FIELDS) {
    if (step[key] !== undefined) body[key] = step[key];
  }
  if (step.body !== undefined) Object.assign(body, step.body);
  return JSON.stringify(body);
}

function promptText(step: ChatStep): string {
  const messages = step.messages ?? [];
  let text = '';
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content: unknown }).content;
    if (i > 0) text += '\n';
    // JSON.stringify(undefined) is undefined: an absent content counts as empty text.
    text += typeof content === 'string' ? content : (JSON.stringify(content) ?? '');
  }
  return text;
}

/**
 * Prepares one step of a scenario against the test's target and defaults.
 * A templated step is compiled for every iteration, so this builds each
 * object once, without spreads (they showed as a third of a chat iteration's
 * own CPU with the garbage they left). `inputTokens`, when the caller knows
 * the prompt's count (a synthetic prompt is exact by construction), is the
 * record's client count instead of tokenizing the prompt on every request.
 */
export function compileStep(
  step: Step,
  index: number,
  defaults: Defaults,
  inputTokens?: number,
): CompiledStep {
  if ('chat' in step) {
    const s = step.chat;
    const endpoint = endpointOf(defaults.target, '/chat/completions');
    const compiled: CompiledStep = {
      index,
      name: s.name ?? 'chat',
      kind: 'chat',
      origin: endpoint.origin,
      path: endpoint.path,
      method: 'POST',
      headers: modelHeaders(defaults.headers, s),
      body: modelBody(s, 'messages', s.messages),
      timeoutMs: s.timeout ?? defaults.timeoutMs,
      maxRedirects: s.max_redirects ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      expectStatus: undefined,
      stream: s.stream,
      inputTokensClient: inputTokens,
      inputTokensPending: undefined,
    };
    return inputTokens === undefined ? withPromptCount(compiled, promptText(s)) : compiled;
  }
  if ('completion' in step) {
    const s = step.completion;
    const endpoint = endpointOf(defaults.target, '/completions');
    const compiled: CompiledStep = {
      index,
      name: s.name ?? 'completion',
      kind: 'completion',
      origin: endpoint.origin,
      path: endpoint.path,
      method: 'POST',
      headers: modelHeaders(defaults.headers, s),
      body: modelBody(s, 'prompt', s.prompt),
      timeoutMs: s.timeout ?? defaults.timeoutMs,
      maxRedirects: s.max_redirects ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
      expectStatus: undefined,
      stream: s.stream,
      inputTokensClient: inputTokens,
      inputTokensPending: undefined,
    };
    return inputTokens === undefined ? withPromptCount(compiled, s.prompt ?? '') : compiled;
  }
  const s = step.http;
  const endpoint = endpointOf(defaults.target, s.url);
  const headers = Object.assign({}, defaults.headers, s.headers);
  let body: string | undefined;
  if (s.body !== undefined) {
    body = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
    if (typeof s.body !== 'string' && !hasHeader(headers, 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const expect = s.expect_status;
  return {
    index,
    name: s.name ?? `${s.method} ${s.url}`,
    kind: 'http',
    origin: endpoint.origin,
    path: endpoint.path,
    method: s.method,
    headers,
    body,
    timeoutMs: s.timeout ?? defaults.timeoutMs,
    maxRedirects: s.max_redirects ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    expectStatus: expect === undefined ? undefined : Array.isArray(expect) ? expect : [expect],
    stream: false,
    inputTokensClient: undefined,
    inputTokensPending: undefined,
  };
}

/** The step with its prompt's count, or the promise of it for a prompt too long to count at once. */
function withPromptCount(compiled: CompiledStep, prompt: string): CompiledStep {
  const counted = countPromptTokens(prompt);
  if (typeof counted === 'number') compiled.inputTokensClient = counted;
  else {
    compiled.inputTokensPending = counted;
    // A failed count fails the requests that wait for it (measureModel); nothing to do here.
    counted.then(
      (n) => {
        compiled.inputTokensClient = n;
        compiled.inputTokensPending = undefined;
      },
      () => undefined,
    );
  }
  return compiled;
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const key in headers) if (key.toLowerCase() === name) return true;
  return false;
}

function modelHeaders(base: Record<string, string>, step: ChatStep | CompletionStep): Record<string, string> {
  const headers: Record<string, string> = Object.assign(
    { 'content-type': 'application/json' },
    base,
    step.headers,
  );
  if (step.stream && !hasHeader(headers, 'accept')) headers.accept = 'text/event-stream';
  return headers;
}

/** How one send of a step may end early or keep its response. */
export interface SendOptions {
  /** Keep the body (HTTP) for captures; a model step always keeps its reply text. */
  keepBody?: boolean;
  /** Cancel (as a user would) this long after `sent`. */
  cancelAfterMs?: number | undefined;
  /** Cancel (as a user would) after this many output tokens of a streamed answer. */
  cancelAfterTokens?: number | undefined;
}

/** What came back, beyond the measurement: for captures, sessions and flows. */
export interface StepResponse {
  status: number | undefined;
  headers: IncomingHttpHeaders;
  /** The body of an HTTP step (when kept), or the reply text of a model step. */
  body: string;
}

/** A measurement and the response it measured. */
export interface SentStep {
  measurement: StepMeasurement;
  response: StepResponse;
}

/** Sends a compiled step and measures it; never throws for a failed request. */
export async function runStep(step: CompiledStep, ctx: StepContext): Promise<StepMeasurement> {
  return (await sendStep(step, ctx)).measurement;
}

/**
 * Sends a compiled step, measures it and keeps its response; never rejects for a failed request.
 * Not an async function: the exchange's own promise resolves with the measurement (see
 * `exchangeThen` for why), or with the promise of it while a long answer's tokens are counted.
 */
export function sendStep(step: CompiledStep, ctx: StepContext, options: SendOptions = {}): Promise<SentStep> {
  const sink =
    step.kind === 'http'
      ? new HttpSink(step.expectStatus, options.keepBody === true)
      : new OpenAISink(options.cancelAfterTokens);
  // A promise resolved with a promise takes on its value: this resolves with a SentStep.
  return exchangeThen(
    ctx.dispatcher,
    ctx.clock,
    {
      origin: step.origin,
      path: step.path,
      method: step.method,
      headers: step.headers,
      body: step.body,
      timeoutMs: step.timeoutMs,
      signal: ctx.signal,
      cancelAfterMs: options.cancelAfterMs,
      maxRedirects: step.maxRedirects,
    },
    sink,
    measured,
    step,
  ) as Promise<SentStep>;
}

/** The measurement of an ended exchange of `step` and the response it measured. */
function measured(
  result: ExchangeResult,
  sink: HttpSink | OpenAISink,
  step: CompiledStep,
): SentStep | Promise<SentStep> {
  const sent = result.sentAt;
  const m: StepMeasurement = {
    outcome: 'ok',
    sent: roundMs(sent),
    end: roundMs(result.endAt),
    e2eMs: roundMs(result.endAt - sent),
  };
  if (result.status !== undefined) m.status = result.status;
  if (result.firstByteAt !== undefined) m.ttfbMs = roundMs(result.firstByteAt - sent);
  if (result.redirects !== undefined) m.redirects = result.redirects;
  if (result.encoding !== undefined) m.encoding = result.encoding;
  if (result.failure !== undefined) {
    if (result.failure.kind === 'cancelled') m.outcome = 'cancelled';
    else {
      m.outcome = 'error';
      m.error = result.failure.kind as ErrorKind;
    }
    m.message = result.failure.message;
  } else if (result.retriedBecause !== undefined) {
    // The retry's outcome is the record's; the server's fault that caused it stays visible.
    m.message = `sent again on a new connection: ${result.retriedBecause}`;
  }
  if (sink instanceof OpenAISink) {
    const text = sink.text;
    return measureModel(
      { measurement: m, response: { status: result.status, headers: sink.headers, body: text } },
      sink,
      step,
      sent,
    );
  }
  return { measurement: m, response: { status: result.status, headers: sink.headers, body: sink.body() } };
}

/**
 * Adds what a model answer says to its measurement. The output is counted on this thread when
 * that is quick, else in slices between other work (a long answer must not stall the worker).
 */
function measureModel(
  sentStep: SentStep,
  sink: OpenAISink,
  step: CompiledStep,
  sent: number,
): SentStep | Promise<SentStep> {
  const m = sentStep.measurement;
  if (step.inputTokensClient !== undefined) m.inputTokensClient = step.inputTokensClient;
  if (sink.usage?.prompt_tokens !== undefined) m.inputTokens = sink.usage.prompt_tokens;
  if (sink.usage?.completion_tokens !== undefined) m.outputTokens = sink.usage.completion_tokens;
  const prompt = step.inputTokensPending;
  if (prompt === undefined) return measureOutput(sentStep, sink, sent);
  return prompt.then((n) => {
    m.inputTokensClient = n;
    return measureOutput(sentStep, sink, sent);
  });
}

/** The output's timing and the client's count of it. */
function measureOutput(sentStep: SentStep, sink: OpenAISink, sent: number): SentStep | Promise<SentStep> {
  const m = sentStep.measurement;
  if (sink.firstTokenAt === undefined) return sentStep;
  m.ttftMs = roundMs(sink.firstTokenAt - sent);
  m.chunks = sink.chunks;
  // A stream that never ended well may have sent anything: its record keeps the first gaps only.
  const gaps = m.outcome === 'ok' ? sink.itlMs : sink.itlMsUpTo(MAX_RECORD_GAPS);
  if (gaps.length > 0) m.itlMs = gaps.map(roundMs);
  if (sink.firstContentAt !== undefined) m.ttfcMs = roundMs(sink.firstContentAt - sent);
  const counted = countTokensYielding(sentStep.response.body);
  if (typeof counted === 'number') return withOutputTokens(sentStep, sink, counted);
  return counted.then((n) => withOutputTokens(sentStep, sink, n));
}

/** The client's output count, the time per output token it gives when the server's is missing, and the reasoning phase. */
function withOutputTokens(sentStep: SentStep, sink: OpenAISink, outputTokensClient: number): SentStep {
  const m = sentStep.measurement;
  m.outputTokensClient = outputTokensClient;
  const output = m.outputTokens ?? outputTokensClient;
  if (m.outcome === 'ok' && output > 1 && m.e2eMs !== undefined && m.ttftMs !== undefined) {
    m.tpotMs = roundMs((m.e2eMs - m.ttftMs) / (output - 1));
  }
  const reasoning = sink.usage?.completion_tokens_details?.reasoning_tokens ?? sink.reasoningChunks;
  if (reasoning > 0) measureReasoning(m, sink, reasoning, output);
  return sentStep;
}

/** The reasoning phase of a reasoning model's answer, and TPOT of each phase. */
function measureReasoning(m: StepMeasurement, sink: OpenAISink, reasoning: number, output: number): void {
  m.reasoningTokens = reasoning;
  const first = sink.firstTokenAt as number;
  const last = sink.lastReasoningAt;
  if (last === undefined) return;
  m.reasoningMs = roundMs((sink.firstContentAt ?? last) - first);
  if (m.outcome !== 'ok') return;
  if (reasoning > 1) m.tpotReasoningMs = roundMs((last - first) / (reasoning - 1));
  const content = output - reasoning;
  if (content > 1 && m.ttfcMs !== undefined && m.e2eMs !== undefined) {
    m.tpotContentMs = roundMs((m.e2eMs - m.ttfcMs) / (content - 1));
  }
}
