/**
 * @module protocols/send-step
 * Sends a compiled step by its kind's transport and measures it. Apart from
 * protocols/steps so a kind that sends steps itself (an agent's calls) can use
 * it without importing the list of kinds it is in.
 */
import { type ErrorKind, roundMs } from '../core/index.js';
import { type ExchangeResult, exchangeThen } from './exchange.js';
import type {
  CompiledStep,
  HttpStepTransport,
  SendOptions,
  SentStep,
  StepContext,
  StepMeasurement,
  StepSink,
} from './step-kind.js';

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
