/**
 * @module protocols/steps/model
 * What the model kinds share: the request body and headers of the
 * OpenAI-compatible ones (chat, completion), the prompt's token count, the
 * transports that read an answer into TTFT, ITL, TPOT and token counts (the
 * OpenAI one, and `eventTransport` for typed-event APIs: Anthropic Messages,
 * OpenAI Responses, each with its own body and sink), and the warm-up's
 * answers. One measurement path, so every API's metrics mean the same.
 */
import { type QualitySample, roundMs } from '../../core/index.js';
import {
  MAX_QUALITY_TEXT,
  refusalMatcher,
  rougeLWords,
  textKey,
  tokenF1Words,
  wordsOf,
} from '../../metrics/index.js';
import type { EventSink, ModelUsage } from '../event-sink.js';
import type { ExchangeResult } from '../exchange.js';
import { MAX_RECORD_GAPS } from '../limits.js';
import { OpenAISink } from '../openai-sink.js';
import type {
  CompiledStep,
  HttpStepTransport,
  QualityAsk,
  SendOptions,
  SentStep,
  StepDefaults,
  StepKindEntry,
  StepMeasurement,
} from '../step-kind.js';
import { countPromptTokens } from '../tokens.js';
import { endpointOf, hasHeader, maxRedirectsOf } from './compile.js';
import type { ModelStepBody, QualityStep } from './fields.js';

/** What the model metrics read of a sink, whatever API it reads (openai-sink, event-sink). */
export interface ModelSink {
  headers: import('node:http').IncomingHttpHeaders;
  readonly text: string;
  readonly itlMs: number[];
  itlMsUpTo(max: number): number[];
  firstTokenAt: number | undefined;
  firstContentAt: number | undefined;
  lastReasoningAt: number | undefined;
  reasoningChunks: number;
  chunks: number;
  usage: ModelUsage | undefined;
  finishReason: string | undefined;
  /** The response's `model`, when the API names it. */
  readonly model?: string | undefined;
  /** The client's count of the output: a number, a count still going on, or none (left to the server's usage). */
  outputTokenCount(): number | Promise<number> | undefined;
}

const MODEL_FIELDS = ['max_tokens', 'temperature', 'top_p', 'stop', 'seed'] as const;

export function modelBody(
  step: ModelStepBody,
  input: 'messages' | 'prompt',
  value: unknown,
  model: string = step.model,
): string {
  const body: Record<string, unknown> = { model };
  body[input] = value;
  body.stream = step.stream;
  if (step.stream) body.stream_options = { include_usage: true };
  for (const key of MODEL_FIELDS) {
    if (step[key] !== undefined) body[key] = step[key];
  }
  if (step.body !== undefined) Object.assign(body, step.body);
  // An override (`--model`) wins over a model set in the raw body too.
  if (model !== step.model) body.model = model;
  return JSON.stringify(body);
}

export function modelHeaders(base: Record<string, string>, step: ModelStepBody): Record<string, string> {
  const headers: Record<string, string> = Object.assign(
    { 'content-type': 'application/json' },
    base,
    step.headers,
  );
  if (step.stream && !hasHeader(headers, 'accept')) headers.accept = 'text/event-stream';
  return headers;
}

/** Where an OpenAI-compatible model step goes and what it carries as its input. */
export interface ModelRoute {
  /** Path under the target, e.g. `/chat/completions`. */
  path: string;
  /** The body field the input goes in, and its value. */
  input: 'messages' | 'prompt';
  value: unknown;
  /** The input as text, for the client's token count. */
  text: string;
}

/**
 * Compiles an OpenAI-compatible model step (chat, completion) once: endpoint,
 * headers and JSON body, and its prompt's token count (`inputTokens` when the
 * caller knows it by construction, else counted).
 */
export function compileModelStep(
  entry: StepKindEntry,
  s: ModelStepBody,
  route: ModelRoute,
  index: number,
  defaults: StepDefaults,
  inputTokens: number | undefined,
): CompiledStep {
  const endpoint = endpointOf(defaults.target, route.path);
  const model = defaults.model ?? s.model;
  const compiled: CompiledStep = {
    index,
    name: s.name ?? entry.name,
    kind: entry.name,
    via: entry,
    origin: endpoint.origin,
    path: endpoint.path,
    method: 'POST',
    headers: modelHeaders(defaults.headers, s),
    body: modelBody(s, route.input, route.value, model),
    timeoutMs: s.timeout ?? defaults.timeoutMs,
    maxRedirects: maxRedirectsOf(s.max_redirects, defaults),
    expectStatus: undefined,
    stream: s.stream,
    inputTokensClient: inputTokens,
    inputTokensPending: undefined,
    quality: qualityAskOf(s.quality),
    model,
    maxTokens: s.max_tokens,
    modelHeader: defaults.modelHeader?.toLowerCase(),
  };
  return inputTokens === undefined ? withPromptCount(compiled, route.text) : compiled;
}

/** Refusal matchers by their patterns: a templated step is compiled per request, its regexes once. */
const matchers = new Map<string, (text: string) => boolean>();

function qualityAskOf(q: QualityStep | undefined): QualityAsk | undefined {
  if (q === undefined) return undefined;
  const patterns = q.refusal_patterns;
  const key = patterns === undefined ? '' : JSON.stringify(patterns);
  let isRefusal = matchers.get(key);
  if (isRefusal === undefined) {
    isRefusal = refusalMatcher(patterns);
    matchers.set(key, isRefusal);
  }
  return { reference: q.reference, isRefusal };
}

/**
 * The answer's text when the step needs it (`quality:`), else undefined: the one place a
 * model step reads its answer as text for what judges it.
 */
export function answerTextOf(sink: ModelSink, step: CompiledStep): string | undefined {
  return step.quality === undefined ? undefined : sink.text;
}

/** The quality sample of an answer (metrics/quality-tally): scores against the reference, refusal, finish reason. */
export function qualitySampleOf(
  ask: QualityAsk,
  text: string,
  finish: string | undefined,
  body: string | undefined,
): QualitySample {
  const sample: QualitySample = { key: textKey(body ?? '') };
  const words = wordsOf(text);
  if (ask.reference !== undefined) {
    const ref = wordsOf(ask.reference);
    sample.f1 = Math.round(tokenF1Words(words, ref) * 1e4) / 1e4;
    sample.rougeL = Math.round(rougeLWords(words, ref) * 1e4) / 1e4;
    sample.reference = ask.reference.slice(0, MAX_QUALITY_TEXT);
  }
  if (ask.isRefusal(text)) sample.refusal = true;
  if (finish !== undefined) sample.finish = finish;
  sample.text = text.slice(0, MAX_QUALITY_TEXT);
  return sample;
}

/** The step with its prompt's count, or the promise of it for a prompt too long to count at once. */
export function withPromptCount(compiled: CompiledStep, prompt: string): CompiledStep {
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

/** An OpenAI-compatible answer, streamed (SSE) or JSON, read into the model metrics. */
export const openAITransport: HttpStepTransport<OpenAISink> = {
  type: 'http',
  sink: (_step: CompiledStep, options: SendOptions) => new OpenAISink(options.cancelAfterTokens),
  read(result: ExchangeResult, sink: OpenAISink, step: CompiledStep, m: StepMeasurement) {
    return measureModel(
      {
        measurement: m,
        response: {
          status: result.status,
          headers: sink.headers,
          body: sink.text,
          finishReason: sink.finishReason,
        },
      },
      sink,
      step,
      result.sentAt,
    );
  },
};

/** A model answer of another API read by an {@link EventSink} (Anthropic Messages, OpenAI Responses). */
export function eventTransport(
  make: (cancelAfterTokens: number | undefined) => EventSink,
): HttpStepTransport<EventSink> {
  return {
    type: 'http',
    sink: (_step: CompiledStep, options: SendOptions) => make(options.cancelAfterTokens),
    read(result: ExchangeResult, sink: EventSink, step: CompiledStep, m: StepMeasurement) {
      return measureModel(
        { measurement: m, response: { status: result.status, headers: sink.headers, body: sink.text } },
        sink,
        step,
        result.sentAt,
      );
    },
  };
}

/**
 * Adds what a model answer says to its measurement. The output is counted on this thread when
 * that is quick, else in slices between other work (a long answer must not stall the worker).
 */
function measureModel(
  sentStep: SentStep,
  sink: ModelSink,
  step: CompiledStep,
  sent: number,
): SentStep | Promise<SentStep> {
  const m = sentStep.measurement;
  if (step.inputTokensClient !== undefined) m.inputTokensClient = step.inputTokensClient;
  if (sink.usage?.prompt_tokens !== undefined) m.inputTokens = sink.usage.prompt_tokens;
  if (sink.usage?.completion_tokens !== undefined) m.outputTokens = sink.usage.completion_tokens;
  const cached = sink.usage?.prompt_tokens_details?.cached_tokens;
  if (typeof cached === 'number') m.cachedInputTokens = cached;
  m.model = answeredBy(sink, step);
  const prompt = step.inputTokensPending;
  if (prompt === undefined) return measureOutput(sentStep, sink, step, sent);
  return prompt.then((n) => {
    m.inputTokensClient = n;
    return measureOutput(sentStep, sink, step, sent);
  });
}

/** Who answered: the `model_header` response header, else the response's `model`, else the model asked for. */
function answeredBy(sink: ModelSink, step: CompiledStep): string | undefined {
  if (step.modelHeader !== undefined) {
    const value = sink.headers[step.modelHeader];
    const header = Array.isArray(value) ? value[0] : value;
    if (typeof header === 'string' && header !== '') return header;
  }
  return sink.model ?? step.model;
}

/** The output's timing and the client's count of it. */
function measureOutput(
  sentStep: SentStep,
  sink: ModelSink,
  step: CompiledStep,
  sent: number,
): SentStep | Promise<SentStep> {
  const m = sentStep.measurement;
  if (sink.firstTokenAt === undefined) return sentStep;
  m.ttftMs = roundMs(sink.firstTokenAt - sent);
  m.chunks = sink.chunks;
  // A stream that never ended well may have sent anything: its record keeps the first gaps only.
  const gaps = m.outcome === 'ok' ? sink.itlMs : sink.itlMsUpTo(MAX_RECORD_GAPS);
  if (gaps.length > 0) m.itlMs = gaps.map(roundMs);
  if (sink.firstContentAt !== undefined) m.ttfcMs = roundMs(sink.firstContentAt - sent);
  const counted = sink.outputTokenCount();
  if (counted === undefined || typeof counted === 'number')
    return withOutputTokens(sentStep, sink, step, counted);
  return counted.then((n) => withOutputTokens(sentStep, sink, step, n));
}

/**
 * The client's output count (none for a huge answer the server's usage counts), the time per
 * output token, the reasoning phase, and the answer's quality sample.
 */
function withOutputTokens(
  sentStep: SentStep,
  sink: ModelSink,
  step: CompiledStep,
  outputTokensClient: number | undefined,
): SentStep {
  const m = sentStep.measurement;
  if (outputTokensClient !== undefined) m.outputTokensClient = outputTokensClient;
  const text = answerTextOf(sink, step);
  // A cancelled answer was cut by the test, not the server: it says nothing of quality.
  if (
    text !== undefined &&
    step.quality !== undefined &&
    m.outcome !== 'cancelled' &&
    (sentStep.response.status ?? 200) < 300
  ) {
    m.quality = qualitySampleOf(step.quality, text, sink.finishReason, step.body);
  }
  const output = m.outputTokens ?? outputTokensClient ?? 0;
  if (m.outcome === 'ok' && output > 1 && m.e2eMs !== undefined && m.ttftMs !== undefined) {
    m.tpotMs = roundMs((m.e2eMs - m.ttftMs) / (output - 1));
  }
  const reasoning = sink.usage?.completion_tokens_details?.reasoning_tokens ?? sink.reasoningChunks;
  if (reasoning > 0) measureReasoning(m, sink, reasoning, output);
  return sentStep;
}

/** The reasoning phase of a reasoning model's answer, and TPOT of each phase. */
function measureReasoning(m: StepMeasurement, sink: ModelSink, reasoning: number, output: number): void {
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

/** Chunks of the warm-up's long streamed answer; one streamed answer in this many is long, at most this many times. */
const LONG_WARM_CHUNKS = 4096;
const LONG_WARM_EVERY = 16;
const LONG_WARM_TIMES = 4;

/**
 * The warm-up server's answers of an OpenAI-compatible endpoint: streamed, or JSON as the body
 * asked. One streamed answer in {@link LONG_WARM_EVERY}, {@link LONG_WARM_TIMES} times, is
 * {@link LONG_WARM_CHUNKS} chunks long: the first long answer of a run otherwise met cold code on
 * its way to the record (its gaps into every histogram: 5-20 ms of CPU against 0.4 once warm) and
 * held the worker, and every stream in it, once per run.
 */
export function warmReplies(chat: boolean) {
  const choice = (last: boolean, json: boolean) =>
    chat
      ? json
        ? { index: 0, message: { role: 'assistant', content: 'warm' }, finish_reason: 'stop' }
        : { index: 0, delta: last ? {} : { content: ' warm' }, finish_reason: last ? 'stop' : null }
      : { index: 0, text: last ? '' : ' warm', finish_reason: last ? 'stop' : null };
  const streamOf = (chunks: number) => {
    const usage = { prompt_tokens: 2, completion_tokens: chunks, total_tokens: chunks + 2 };
    const chunk = `data: ${JSON.stringify({ id: 'warm', choices: [choice(false, false)] })}\n\n`;
    const last = JSON.stringify({ id: 'warm', choices: [choice(true, false)], usage });
    return `${chunk.repeat(chunks)}data: ${last}\n\ndata: [DONE]\n\n`;
  };
  const stream = streamOf(3);
  const long = streamOf(LONG_WARM_CHUNKS);
  const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
  const json = JSON.stringify({ id: 'warm', choices: [choice(false, true)], usage });
  let streamed = 0;
  const next = () => {
    streamed++;
    return streamed % LONG_WARM_EVERY === 0 && streamed <= LONG_WARM_EVERY * LONG_WARM_TIMES ? long : stream;
  };
  return (body: string) =>
    body.includes('"stream":true')
      ? { contentType: 'text/event-stream', body: next() }
      : { contentType: 'application/json', body: json };
}
