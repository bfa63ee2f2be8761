/**
 * @module protocols/steps
 * Turns a test step into a ready-to-send request once, before the run (no JSON
 * work per request), and runs it into a measurement.
 */
import type { Dispatcher } from 'undici';
import type { ChatStep, CompletionStep, HttpStep, Step } from '../config/index.js';
import { type ErrorKind, type RequestRecord, roundMs, type StepKind } from '../metrics/index.js';
import type { Clock } from './clock.js';
import { exchange } from './exchange.js';
import { HttpSink } from './http-sink.js';
import { OpenAISink } from './openai-sink.js';
import { countTokens } from './tokens.js';

/** A step with its URL, headers and body prepared. */
export interface CompiledStep {
  index: number;
  name: string;
  kind: StepKind;
  origin: string;
  path: string;
  method: Dispatcher.HttpMethod;
  headers: Record<string, string>;
  body: string | undefined;
  timeoutMs: number;
  expectStatus: readonly number[] | undefined;
  /** Prompt tokens by the client's tokenizer, counted once. */
  inputTokensClient: number | undefined;
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
>;

export interface StepContext {
  dispatcher: Dispatcher;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

interface Defaults {
  /** API base URL, e.g. `http://127.0.0.1:8000/v1`. */
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
}

function joinUrl(base: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return new URL(trimmed + (path.startsWith('/') ? path : `/${path}`));
}

function modelBody(step: ChatStep | CompletionStep, input: Record<string, unknown>): string {
  const body: Record<string, unknown> = { model: step.model, ...input, stream: step.stream };
  if (step.stream) body.stream_options = { include_usage: true };
  for (const key of ['max_tokens', 'temperature', 'top_p', 'stop', 'seed'] as const) {
    if (step[key] !== undefined) body[key] = step[key];
  }
  return JSON.stringify({ ...body, ...step.body });
}

function promptText(step: ChatStep): string {
  return step.messages
    .map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content)))
    .join('\n');
}

/** Prepares one step of a scenario against the test's target and defaults. */
export function compileStep(step: Step, index: number, defaults: Defaults): CompiledStep {
  const common = (
    s: ChatStep | CompletionStep | HttpStep,
    kind: StepKind,
    url: URL,
    method: Dispatcher.HttpMethod,
  ) => ({
    index,
    kind,
    origin: url.origin,
    path: url.pathname + url.search,
    method,
    timeoutMs: s.timeout ?? defaults.timeoutMs,
  });
  if ('chat' in step) {
    const s = step.chat;
    const url = joinUrl(defaults.target, '/chat/completions');
    return {
      ...common(s, 'chat', url, 'POST'),
      name: s.name ?? 'chat',
      headers: modelHeaders(defaults.headers, s),
      body: modelBody(s, { messages: s.messages }),
      expectStatus: undefined,
      inputTokensClient: countTokens(promptText(s)),
    };
  }
  if ('completion' in step) {
    const s = step.completion;
    const url = joinUrl(defaults.target, '/completions');
    return {
      ...common(s, 'completion', url, 'POST'),
      name: s.name ?? 'completion',
      headers: modelHeaders(defaults.headers, s),
      body: modelBody(s, { prompt: s.prompt }),
      expectStatus: undefined,
      inputTokensClient: countTokens(s.prompt),
    };
  }
  const s = step.http;
  const url = joinUrl(defaults.target, s.url);
  const headers = { ...defaults.headers, ...s.headers };
  let body: string | undefined;
  if (s.body !== undefined) {
    body = typeof s.body === 'string' ? s.body : JSON.stringify(s.body);
    if (typeof s.body !== 'string' && !hasHeader(headers, 'content-type'))
      headers['content-type'] = 'application/json';
  }
  const expect = s.expect_status;
  return {
    ...common(s, 'http', url, s.method),
    name: s.name ?? `${s.method} ${s.url}`,
    headers,
    body,
    expectStatus: expect === undefined ? undefined : Array.isArray(expect) ? expect : [expect],
    inputTokensClient: undefined,
  };
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}

function modelHeaders(base: Record<string, string>, step: ChatStep | CompletionStep): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...base, ...step.headers };
  if (step.stream && !hasHeader(headers, 'accept')) headers.accept = 'text/event-stream';
  return headers;
}

/** Sends a compiled step and measures it; never throws for a failed request. */
export async function runStep(step: CompiledStep, ctx: StepContext): Promise<StepMeasurement> {
  const sink = step.kind === 'http' ? new HttpSink(step.expectStatus) : new OpenAISink();
  const result = await exchange(
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
    },
    sink,
  );
  const sent = result.sentAt;
  const m: StepMeasurement = {
    outcome: 'ok',
    sent: roundMs(sent),
    end: roundMs(result.endAt),
    e2eMs: roundMs(result.endAt - sent),
  };
  if (result.status !== undefined) m.status = result.status;
  if (result.firstByteAt !== undefined) m.ttfbMs = roundMs(result.firstByteAt - sent);
  if (result.failure !== undefined) {
    if (result.failure.kind === 'cancelled') m.outcome = 'cancelled';
    else {
      m.outcome = 'error';
      m.error = result.failure.kind as ErrorKind;
    }
    m.message = result.failure.message;
  }
  if (sink instanceof OpenAISink) measureModel(m, sink, step, sent);
  return m;
}

function measureModel(m: StepMeasurement, sink: OpenAISink, step: CompiledStep, sent: number): void {
  if (step.inputTokensClient !== undefined) m.inputTokensClient = step.inputTokensClient;
  if (sink.usage?.prompt_tokens !== undefined) m.inputTokens = sink.usage.prompt_tokens;
  if (sink.usage?.completion_tokens !== undefined) m.outputTokens = sink.usage.completion_tokens;
  if (sink.firstTokenAt === undefined) return;
  m.ttftMs = roundMs(sink.firstTokenAt - sent);
  m.chunks = sink.chunks;
  if (sink.itlMs.length > 0) m.itlMs = sink.itlMs.map(roundMs);
  m.outputTokensClient = countTokens(sink.text);
  const output = m.outputTokens ?? m.outputTokensClient;
  if (m.outcome === 'ok' && output > 1 && m.e2eMs !== undefined) {
    m.tpotMs = roundMs((m.e2eMs - m.ttftMs) / (output - 1));
  }
}
