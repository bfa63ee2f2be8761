/**
 * @module workload/request
 * One logical request of an iteration: sent, perhaps cancelled as a user
 * would, retried under the scenario's policy (one record per attempt), and
 * its captures taken into the VU's variables.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { type ErrorKind, type Outcome, type RequestRecord, roundMs, type StepKind } from '../core/index.js';
import {
  type CompiledStep,
  compileStep,
  type SendOptions,
  type Step,
  type StepContext,
  type StepMeasurement,
  type StepResponse,
  sendStep,
  stepKindOf,
} from '../protocols/index.js';
import { createSampler, type Distribution, type Rng, type Sampler } from '../random/index.js';
import { applyCaptures, type CompiledCapture } from './capture.js';
import type { CompiledChecks } from './checks.js';
import { type RetryPolicy, retryDelayMs, shouldRetry } from './retry-policy.js';

/** Where an iteration's records go, in completion order; the sink numbers them (`id` arrives as 0, first). */
export type RecordSink = (record: RequestRecord) => void;

/**
 * Decides whether a request may be sent (a budget cap: engine/budget). `admit` reserves what the
 * request may cost and returns the reservation, or undefined to refuse it (the run is then
 * stopping); `release` gives the reservation back once the request's record was made (the
 * record's own cost is counted by the record sink).
 */
export interface RequestGate {
  admit(step: CompiledStep): number | undefined;
  release(reservation: number): void;
}

/** A scenario's `cancel` block, compiled. */
export interface CancelPlan {
  probability: number;
  afterMs: Sampler | undefined;
  afterTokens: Sampler | undefined;
}

export function compileCancel(
  cancel:
    | { probability: number; after_ms?: Distribution | undefined; after_tokens?: Distribution | undefined }
    | undefined,
): CancelPlan | undefined {
  if (cancel === undefined || cancel.probability <= 0) return undefined;
  return {
    probability: cancel.probability,
    afterMs: cancel.after_ms === undefined ? undefined : createSampler(cancel.after_ms),
    afterTokens: cancel.after_tokens === undefined ? undefined : createSampler(cancel.after_tokens),
  };
}

/** The state of one running iteration that every request of it shares. */
export interface IterationRun {
  ctx: StepContext & { vu: number; iteration: number; sink: RecordSink };
  scenario: string;
  retry: RetryPolicy | undefined;
  cancel: CancelPlan | undefined;
  /** The iteration's seeded random source (cancellation draws, jitter, templates). */
  rng: Rng;
  /** The VU's variables: captures land here and persist across its iterations. */
  vars: Record<string, unknown>;
  /** When the next request is wanted (run clock, ms): the iteration start, then each step's end. */
  scheduled: number;
  target: string;
  headers: Record<string, string>;
  timeoutMs: number;
  /** The test's `max_redirects`. */
  maxRedirects?: number | undefined;
  /** Replaces every model step's model (`--model`). */
  model?: string | undefined;
  /** The test's `model_header`. */
  modelHeader?: string | undefined;
  /** A budget's gate: asked before each attempt is sent. */
  gate?: RequestGate | undefined;
}

/** What a flow sees of a request it sent. */
export interface StepResult {
  ok: boolean;
  outcome: Outcome;
  error?: ErrorKind | undefined;
  message?: string | undefined;
  status?: number | undefined;
  /** The body of an HTTP step, or the reply text of a chat/completion step. */
  body: string;
  headers: IncomingHttpHeaders;
  /** Attempts made (more than 1 after retries). */
  attempts: number;
  ttftMs?: number | undefined;
  e2eMs?: number | undefined;
  /** The body parsed as JSON (throws when it is not JSON). */
  json<T = unknown>(): T;
}

/** Extra labels of a request: its session turn. */
export interface RequestLabels {
  turn?: number | undefined;
}

/** A request with no labels: one object for all (a default `{}` is made per call and lives as long as it). */
const NO_LABELS: RequestLabels = Object.freeze({});

/** A {@link StepResult}; its `json` a method, not a closure made per request. */
class SentResult implements StepResult {
  readonly ok: boolean;
  readonly outcome: Outcome;
  readonly error: ErrorKind | undefined;
  readonly message: string | undefined;
  readonly status: number | undefined;
  readonly ttftMs: number | undefined;
  readonly e2eMs: number | undefined;

  constructor(
    m: Partial<StepMeasurement>,
    readonly body: string,
    readonly headers: IncomingHttpHeaders,
    readonly attempts: number,
  ) {
    this.ok = m.outcome === 'ok';
    this.outcome = m.outcome ?? 'error';
    this.error = m.error;
    this.message = m.message;
    this.status = m.status;
    this.ttftMs = m.ttftMs;
    this.e2eMs = m.e2eMs;
  }

  json<T = unknown>(): T {
    return JSON.parse(this.body) as T;
  }
}

/** What a record carries besides its step and measurement. */
export type RecordLabels = Pick<
  RequestRecord,
  'attempt' | 'logicalSent' | 'turn' | 'contextTokens' | 'checks'
>;

/**
 * The record of one attempt. Fields are copied one by one, each only when
 * set: two spreads per record showed in the plain-HTTP loop's profile, and
 * copying by `for…in` made every store and load megamorphic (~2 % of the
 * worker under `perf`). `id` comes first, for the sink to number it in place;
 * the test in request.test.ts gives this every field a measurement has.
 */
export function recordOf(
  run: IterationRun,
  step: Pick<CompiledStep, 'index' | 'name' | 'kind'>,
  scheduled: number,
  m: StepMeasurement,
  labels: Partial<RecordLabels>,
): RequestRecord {
  const record = {
    id: 0,
    scenario: run.scenario,
    step: step.index,
    stepName: step.name,
    kind: step.kind,
    vu: run.ctx.vu,
    iteration: run.ctx.iteration,
  } as RequestRecord;
  if (labels.attempt !== undefined) record.attempt = labels.attempt;
  if (labels.logicalSent !== undefined) record.logicalSent = labels.logicalSent;
  if (labels.turn !== undefined) record.turn = labels.turn;
  if (labels.contextTokens !== undefined) record.contextTokens = labels.contextTokens;
  if (labels.checks !== undefined) record.checks = labels.checks;
  record.scheduled = roundMs(scheduled);
  record.schedulingLagMs = Math.max(0, roundMs(m.sent - scheduled));
  record.outcome = m.outcome;
  if (m.error !== undefined) record.error = m.error;
  if (m.message !== undefined) record.message = m.message;
  if (m.status !== undefined) record.status = m.status;
  record.sent = m.sent;
  record.end = m.end;
  if (m.ttfbMs !== undefined) record.ttfbMs = m.ttfbMs;
  if (m.ttftMs !== undefined) record.ttftMs = m.ttftMs;
  if (m.e2eMs !== undefined) record.e2eMs = m.e2eMs;
  if (m.tpotMs !== undefined) record.tpotMs = m.tpotMs;
  if (m.itlMs !== undefined) record.itlMs = m.itlMs;
  if (m.chunks !== undefined) record.chunks = m.chunks;
  if (m.inputTokens !== undefined) record.inputTokens = m.inputTokens;
  if (m.outputTokens !== undefined) record.outputTokens = m.outputTokens;
  if (m.inputTokensClient !== undefined) record.inputTokensClient = m.inputTokensClient;
  if (m.outputTokensClient !== undefined) record.outputTokensClient = m.outputTokensClient;
  if (m.redirects !== undefined) record.redirects = m.redirects;
  if (m.encoding !== undefined) record.encoding = m.encoding;
  if (m.ttfcMs !== undefined) record.ttfcMs = m.ttfcMs;
  if (m.reasoningTokens !== undefined) record.reasoningTokens = m.reasoningTokens;
  if (m.reasoningMs !== undefined) record.reasoningMs = m.reasoningMs;
  if (m.tpotReasoningMs !== undefined) record.tpotReasoningMs = m.tpotReasoningMs;
  if (m.tpotContentMs !== undefined) record.tpotContentMs = m.tpotContentMs;
  if (m.quality !== undefined) record.quality = m.quality;
  if (m.model !== undefined) record.model = m.model;
  if (m.cachedInputTokens !== undefined) record.cachedInputTokens = m.cachedInputTokens;
  if (m.agent !== undefined) record.agent = m.agent;
  if (m.vectors !== undefined) record.vectors = m.vectors;
  return record;
}

function emit(
  run: IterationRun,
  step: Pick<CompiledStep, 'index' | 'name' | 'kind'>,
  scheduled: number,
  m: StepMeasurement,
  labels: Partial<RecordLabels>,
): void {
  run.ctx.sink(recordOf(run, step, scheduled, m, labels));
}

/**
 * Records a step that failed before anything was sent and returns it: by
 * default a `script_error` of kind `script` (a template variable not set, a
 * URL a template made invalid, a flow that threw), never a request that was
 * not made; the step's name tells which one it was.
 */
export function failBeforeSend(
  run: IterationRun,
  step: { index: number; name: string },
  message: string,
  labels: RequestLabels = {},
  error: ErrorKind = 'script_error',
  kind: StepKind = 'script',
): StepResult {
  const now = roundMs(run.ctx.clock());
  const m: StepMeasurement = { outcome: 'error', error, message, sent: now, end: now };
  emit(
    run,
    { index: step.index, name: step.name, kind },
    run.scheduled,
    m,
    labels.turn === undefined ? {} : { turn: labels.turn },
  );
  run.scheduled = now;
  return new SentResult(m, '', {}, 1);
}

/** What a flow sees of a request a budget refused: cancelled, never sent, no record. */
function refused(run: IterationRun): StepResult {
  const now = roundMs(run.ctx.clock());
  return new SentResult(
    { outcome: 'cancelled', message: 'not sent: the run is stopping at its budget', sent: now, end: now },
    '',
    {},
    0,
  );
}

/**
 * Runs a step's checks on an answer that arrived; a failure makes the measurement a
 * `check_failed` error naming the checks that failed (the run goes on).
 */
function checkAnswer(
  checks: CompiledChecks,
  m: StepMeasurement,
  response: StepResponse,
): Record<string, boolean> {
  const { results, failure } = checks.run({
    text: response.body,
    finishReason: response.finishReason,
    status: m.status,
    outputTokens: m.outputTokens ?? m.outputTokensClient,
    ttftMs: m.ttftMs,
    e2eMs: m.e2eMs,
    tpotMs: m.tpotMs,
  });
  if (failure !== undefined) {
    m.outcome = 'error';
    m.error = 'check_failed';
    m.message = `check failed: ${failure}`;
    // An agent's final answer that fails its checks is a task that did not succeed.
    if (m.agent !== undefined) m.agent.success = false;
  }
  return results;
}

/** Cancellation applies to streamed model requests: a user stopping an answer as it appears. */
function planCancel(run: IterationRun, step: CompiledStep): SendOptions {
  const plan = run.cancel;
  if (plan === undefined || !step.stream) return {};
  // Drawn even when not cancelling, so later draws do not depend on the outcome.
  const cancel = run.rng() < plan.probability;
  const afterMs = plan.afterMs?.(run.rng);
  const afterTokens = plan.afterTokens?.(run.rng);
  if (!cancel) return {};
  if (afterMs !== undefined) return { cancelAfterMs: afterMs };
  return { cancelAfterTokens: Math.max(1, Math.round(afterTokens ?? 1)) };
}

/** Waits until the run clock reads `at` (timers may fire a little early), or `signal` aborts. */
async function waitUntil(run: IterationRun, at: number): Promise<void> {
  const signal = run.ctx.signal;
  for (let left = at - run.ctx.clock(); left > 0 && !signal?.aborted; left = at - run.ctx.clock()) {
    await sleep(Math.ceil(left), undefined, signal === undefined ? {} : { signal }).catch(() => undefined);
  }
}

/**
 * Sends one validated step (templates already rendered) with the scenario's
 * cancellation and retry policy; emits a record per attempt.
 */
export async function sendRequest(
  run: IterationRun,
  step: Step | CompiledStep,
  index: number,
  captures: readonly CompiledCapture[],
  labels: RequestLabels = NO_LABELS,
  checks?: CompiledChecks,
): Promise<StepResult> {
  let compiled: CompiledStep;
  if ('origin' in step) compiled = step;
  else {
    try {
      compiled = compileStep(step, index, {
        target: run.target,
        headers: run.headers,
        timeoutMs: run.timeoutMs,
        maxRedirects: run.maxRedirects,
        model: run.model,
        modelHeader: run.modelHeader,
      });
    } catch (err) {
      const name = stepKindOf(step)?.name ?? 'step';
      const message = `cannot build the request: ${(err as Error).message}`;
      return failBeforeSend(run, { index, name }, message, labels);
    }
  }
  const options: SendOptions = { keepBody: captures.length > 0, ...planCancel(run, compiled) };
  // A step that makes requests of its own (an agent's calls) records each as it ends: wanted when sent.
  if (compiled.via.transport.type === 'own') options.emit = (s, m) => emit(run, s, m.sent, m, {});
  const extra: Partial<RecordLabels> = {};
  if (labels.turn !== undefined) {
    extra.turn = labels.turn;
    if (compiled.inputTokensClient !== undefined) extra.contextTokens = compiled.inputTokensClient;
  }
  let firstSent = 0;
  for (let attempt = 1; ; attempt++) {
    const scheduled = run.scheduled;
    const reservation = run.gate?.admit(compiled);
    // Refused by a budget: nothing is sent or recorded, and the run is stopping.
    if (run.gate !== undefined && reservation === undefined) return refused(run);
    const { measurement: m, response } = await sendStep(compiled, run.ctx, options);
    // A model request that got no answer is put down to the model it asked for.
    if (m.model === undefined && compiled.model !== undefined) m.model = compiled.model;
    if (m.outcome === 'ok' && captures.length > 0) {
      const missing = applyCaptures(captures, response, run.vars);
      if (missing !== undefined) {
        m.outcome = 'error';
        m.error = 'check_failed';
        m.message = missing;
      }
    }
    if (checks !== undefined)
      extra.checks = m.outcome === 'ok' ? checkAnswer(checks, m, response) : undefined;
    const last =
      m.outcome !== 'error' || run.ctx.signal?.aborted === true || !shouldRetry(run.retry, m.error, attempt);
    if (run.retry !== undefined) {
      if (attempt === 1) firstSent = m.sent;
      extra.attempt = attempt;
      // The last attempt carries its logical request's start, for the logical latency and outcome.
      extra.logicalSent = last ? firstSent : undefined;
    }
    emit(run, compiled, scheduled, m, extra);
    if (reservation !== undefined) run.gate?.release(reservation);
    // The next request is wanted as soon as this one ends.
    run.scheduled = m.end;
    if (last) return new SentResult(m, response.body, response.headers, attempt);
    const wait = retryDelayMs(run.retry as RetryPolicy, attempt, response.headers, run.rng, Date.now());
    const due = run.ctx.clock() + wait;
    await waitUntil(run, due);
    if (run.ctx.signal?.aborted) return new SentResult(m, response.body, response.headers, attempt);
    // The retry is wanted when its wait ends; any later start shows as scheduling lag.
    run.scheduled = due;
  }
}
