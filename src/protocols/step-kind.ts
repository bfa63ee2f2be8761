/**
 * @module protocols/step-kind
 * What a kind of step is (`chat`, `completion`, `http`, and whatever a plugin
 * adds): its key and schema in the test file, whether it is a model step, how
 * it is compiled once and how a request of it is sent and read. One entry per
 * kind, listed in `protocols/steps/index.ts`; everything that differs by kind
 * is asked of the entry, so a new kind is one file and one line there.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { Clock, RequestRecord, StepKind } from '../core/index.js';
import type { ExchangeResult, ResponseSink } from './exchange.js';
import type { HttpMethod, HttpTransport } from './http1/index.js';

/** The test's defaults a step is compiled against. */
export interface StepDefaults {
  /** API base URL, e.g. `http://127.0.0.1:8000/v1`. */
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The test's `max_redirects` (default `DEFAULT_MAX_REDIRECTS`). */
  maxRedirects?: number | undefined;
  /** Replaces every model step's model (`--model`, the test's `model_override`). */
  model?: string | undefined;
  /** A response header naming the model that answered (a gateway's upstream), e.g. `x-upstream-model`. */
  modelHeader?: string | undefined;
}

/** A sink that reads one HTTP response of a step (it keeps the headers for captures). */
export interface StepSink extends ResponseSink {
  headers: IncomingHttpHeaders;
}

/**
 * A kind sent as one HTTP exchange: `sink` makes the reader of one response
 * (the only allocation per request besides the exchange's own); `read` adds
 * what the reader saw to the measurement the exchange made (`m` holds the
 * outcome, times, status, redirects) and returns it with the response.
 */
export interface HttpStepTransport<S extends StepSink = StepSink> {
  type: 'http';
  sink(step: CompiledStep, options: SendOptions): S;
  read(result: ExchangeResult, sink: S, step: CompiledStep, m: StepMeasurement): SentStep | Promise<SentStep>;
}

/**
 * A kind with a transport of its own (WebSocket, gRPC, …): it sends the compiled
 * step itself and measures it; it must never reject for a failed request (an
 * error is a measurement with `outcome: 'error'` and an `error` kind).
 */
export interface OwnStepTransport {
  type: 'own';
  send(step: CompiledStep, ctx: StepContext, options: SendOptions): Promise<SentStep>;
}

export type StepTransport = HttpStepTransport<StepSink> | OwnStepTransport;

/** What a synthetic prompt adds to a model step body (see `workload/prompt-synth.ts`). */
export interface DrawnPrompt {
  /** The prompt text of the target length. */
  text: string;
  /** Its tokens, exact by construction. */
  tokens: number;
  /** The group's shared prefix, when the test has one. */
  prefix: string | undefined;
  prefixTokens: number;
  maxTokens: number | undefined;
}

/** The warm-up of a kind: requests like the run's sent to the worker's own loopback server. */
export interface StepWarmUp<B> {
  /** The label of the requests `body` sends (e.g. `chat` or `chat-json`): one warm-up scenario each. */
  variant(body: B): string;
  /** The step body the warm-up sends for `variant` (against the loopback target). */
  body(variant: string): Record<string, unknown>;
  /** The loopback server's answer to a request of this kind, or undefined when it is not one. */
  answer(
    method: string,
    url: string,
    body: string,
  ): { status?: number; contentType: string; body: string } | undefined;
}

/**
 * One kind of step. `B` is its body as parsed (`z.output` of `schema`).
 * Entries are plain objects; the plugin API registers them with
 * `registerStepKind` as the built-in ones are.
 */
export interface StepKindEntry<
  B = unknown,
  N extends string = string,
  S extends z.ZodType<B> = z.ZodType<B>,
> {
  /** The key in the test file (`{ chat: … }`), the record's `kind` and the flow helper `vu.<name>()`. */
  name: N;
  /** The body's schema, with the descriptions the JSON Schema and the docs show. */
  schema: S;
  /** One line for the docs' table of steps. */
  summary: string;
  /** A model step: TTFT, ITL, TPOT and token counts apply to its records. */
  model: boolean;
  /** The step's name when its body has none (records, reports, `{step:NAME}`). */
  defaultName(body: B): string;
  /**
   * Builds the request once (a templated step: once per iteration). `inputTokens` is the
   * prompt's count when the caller knows it. Resolve here everything the send path needs:
   * it runs per request and must not allocate or await for the kind's sake.
   */
  compile(body: B, index: number, defaults: StepDefaults, inputTokens?: number): CompiledStep;
  transport: StepTransport;
  /** Adds a drawn synthetic prompt to a body (model kinds that take `synthetic:`). */
  withPrompt?(body: B, prompt: DrawnPrompt): { body: B; tokens: number | undefined };
  /** Absent: the warm-up sends nothing of this kind. */
  warmUp?: StepWarmUp<B>;
}

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
  /** A model step's `quality:` (its reference rendered for this request): each answer gets a quality sample. */
  quality?: QualityAsk | undefined;
  /** Model steps: the model the request asks for (after any override). */
  model?: string | undefined;
  /** Model steps: the `max_tokens` the request asks for, when it sets one (a budget's worst case). */
  maxTokens?: number | undefined;
  /** Model steps: the response header that names the model that answered (lower case). */
  modelHeader?: string | undefined;
}

/** What a model step asks of its answers' quality (protocols/steps/model). */
export interface QualityAsk {
  reference: string | undefined;
  isRefusal: (text: string) => boolean;
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
  | 'vectors'
  | 'encoding'
  | 'ttfcMs'
  | 'reasoningTokens'
  | 'reasoningMs'
  | 'tpotReasoningMs'
  | 'tpotContentMs'
  | 'quality'
  | 'model'
  | 'cachedInputTokens'
  | 'agent'
>;

export interface StepContext {
  dispatcher: HttpTransport;
  clock: Clock;
  signal?: AbortSignal | undefined;
}

/** How one send of a step may end early or keep its response. */
export interface SendOptions {
  /** Keep the body (HTTP) for captures; a model step always keeps its reply text. */
  keepBody?: boolean;
  /** Cancel (as a user would) this long after `sent`. */
  cancelAfterMs?: number | undefined;
  /** Cancel (as a user would) after this many output tokens of a streamed answer. */
  cancelAfterTokens?: number | undefined;
  /**
   * Records a request the step made on its own (an agent's model and tool calls): each gets a
   * record like a step's, under `step`'s index, name and kind.
   */
  emit?: ((step: Pick<CompiledStep, 'index' | 'name' | 'kind'>, m: StepMeasurement) => void) | undefined;
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
