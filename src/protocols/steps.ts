/**
 * @module protocols/steps
 * Turns a test step into a ready-to-send request once, before the run (no JSON
 * work per request), and runs it into a measurement. What differs by kind
 * (chat, completion, http, a plugin's) is its entry's in protocols/steps/;
 * this resolves the entry once, at compile time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Step } from '../config/index.js';
import { type ErrorKind, type RequestRecord, roundMs, type StepKind } from '../metrics/index.js';
import type { Clock } from './clock.js';
import { type ExchangeResult, exchangeThen } from './exchange.js';
import type { HttpMethod, HttpTransport } from './http1/index.js';
import type { HttpStepTransport, StepDefaults, StepKindEntry, StepSink } from './step-kind.js';
import { stepKindOf, unknownStepMessage } from './steps/index.js';

/** A step with its URL, headers and body prepared. */
export interface CompiledStep {
  index: number;
  name: string;
  kind: StepKind;
  /** The entry of its kind: how it is sent and read. */
  via: StepKindEntry;
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

/**
 * Prepares one step of a scenario against the test's target and defaults, by
 * its kind's entry (protocols/steps/), which the compiled step keeps: the
 * send path asks it, never the list. A templated step is compiled for every
 * iteration, so each kind builds each object once, without spreads (they
 * showed as a third of a chat iteration's own CPU with the garbage they left).
 * `inputTokens`, when the caller knows the prompt's count (a synthetic prompt
 * is exact by construction), is the record's client count instead of
 * tokenizing the prompt on every request.
 * @throws Error when the step is of no listed kind.
 */
export function compileStep(
  step: Step | object,
  index: number,
  defaults: StepDefaults,
  inputTokens?: number,
): CompiledStep {
  const entry = stepKindOf(step);
  if (entry === undefined) throw new Error(unknownStepMessage());
  return entry.compile((step as Record<string, unknown>)[entry.name], index, defaults, inputTokens);
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
  /** A model step's `finish_reason` (`stop`, `length`, …), when the answer gave one (checks read it). */
  finishReason?: string | undefined;
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
  const transport = step.via.transport;
  if (transport.type === 'own') return transport.send(step, ctx, options);
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
    transport.sink(step, options),
    measured,
    step,
  ) as Promise<SentStep>;
}

/** The measurement of an ended exchange of `step` (what every HTTP kind has), then what its kind reads. */
function measured(result: ExchangeResult, sink: StepSink, step: CompiledStep): SentStep | Promise<SentStep> {
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
  return (step.via.transport as HttpStepTransport).read(result, sink, step, m);
}
