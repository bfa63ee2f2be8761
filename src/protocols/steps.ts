/**
 * @module protocols/steps
 * Turns a test step into a ready-to-send request once, before the run (no JSON
 * work per request), and runs it into a measurement. What differs by kind
 * (chat, completion, http, a plugin's) is its entry's in protocols/steps/;
 * this resolves the entry once, at compile time.
 */
import { type ErrorKind, roundMs } from '../core/index.js';
import { type ExchangeResult, exchangeThen } from './exchange.js';
import type {
  CompiledStep,
  HttpStepTransport,
  SendOptions,
  SentStep,
  StepContext,
  StepDefaults,
  StepMeasurement,
  StepSink,
} from './step-kind.js';
import { type Step, stepKindOf, unknownStepMessage } from './steps/index.js';

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
