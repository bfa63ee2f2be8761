/**
 * @module workload/workload
 * What each iteration sends: a scenario picked by weight, then its steps in
 * order, its multi-turn session, or its TypeScript flow. Everything is
 * prepared before the run; an iteration only picks, renders and sends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../core/index.js';
import { isAborted, type StepContext } from '../protocols/index.js';
import {
  createRng,
  createSampler,
  type Distribution,
  deriveSeed,
  pickWeighted,
  type Rng,
  ThinkTime,
} from '../random/index.js';
import { Feeder, type WorkerSlice } from './feeder.js';
import { namedStep, PreparedStep } from './prepared-step.js';
import { PromptSynth } from './prompt-synth.js';
import {
  type CancelPlan,
  compileCancel,
  failBeforeSend,
  type IterationRun,
  type RecordSink,
  sendRequest,
} from './request.js';
import type { RetryPolicy } from './retry-policy.js';
import { DataError, type Row } from './row-reader.js';
import type { Scenario } from './schema.js';
import { PreparedSession, type SessionSpec } from './session.js';
import { TemplateError, type TemplateScope } from './template.js';
import { createVu, type Flow } from './vu.js';

export type { RecordSink };

/** A scenario ready to run. */
export interface CompiledScenario {
  name: string;
  weight: number;
  /** Position in the test, for seeding. */
  position: number;
  steps: PreparedStep[] | undefined;
  session: PreparedSession | undefined;
  flow: Flow | undefined;
  feeder: Feeder | undefined;
  retry: RetryPolicy | undefined;
  cancel: CancelPlan | undefined;
  thinkTime: Distribution | undefined;
  iterationThinkTime: Distribution | undefined;
}

export interface IterationContext extends StepContext {
  vu: number;
  iteration: number;
  /** When the load model wanted this iteration to start (run clock, ms). */
  scheduled: number;
  sink: RecordSink;
  /** Aborted when the run stops starting iterations: ends an iteration's closing think time early. */
  stop?: AbortSignal | undefined;
  /** What the load model attached to this arrival (a replayed trace row as `data.trace`). */
  data?: Readonly<Record<string, unknown>> | undefined;
}

/** Options of a workload beyond the test: its worker's share of the run. */
/** The parts of a parsed test (config's `Test`) the workload is built from. */
export interface WorkloadTest {
  headers: Record<string, string>;
  /** Per-request timeout, ms. */
  timeout: number;
  max_redirects: number;
  seed: number;
  scenarios: readonly Scenario[];
}

export interface WorkloadOptions extends Partial<WorkerSlice> {}

/** The promise of an iteration that ended before sending anything. */
const DONE: Promise<void> = Promise.resolve();

/**
 * A step's request for this iteration, or undefined when it cannot be built: a template that
 * cannot render is recorded against the step; anything else is a bug in the test's code
 * (a flow's), recorded as a flow that threw.
 */
function buildStep(
  step: PreparedStep,
  run: IterationRun,
  scope: TemplateScope,
): ReturnType<PreparedStep['build']> | undefined {
  try {
    return step.build(scope);
  } catch (err) {
    if (err instanceof TemplateError) failBeforeSend(run, step, err.message);
    else failBeforeSend(run, FLOW_STEP, `flow threw: ${(err as Error)?.message ?? String(err)}`);
    return undefined;
  }
}

/** The only step of an iteration: the iteration's promise is its request's. */
function runOneStep(step: PreparedStep, run: IterationRun, scope: TemplateScope): Promise<unknown> {
  if (isAborted(run.ctx.signal)) return DONE;
  const request = buildStep(step, run, scope);
  return request === undefined ? DONE : sendRequest(run, request, step.index, step.captures);
}

/** Where a failure that belongs to no step is recorded (as a `script_error`). */
const FLOW_STEP = { index: 0, name: 'flow' } as const;

/** Per-VU state: variables (captures) and think-time streams, kept across iterations. */
interface VuState {
  vars: Record<string, unknown>;
  think: Map<string, ThinkTime>;
}

const ITERATION_STREAM = 0x17e7;
const THINK_STREAM = 0x7b1;

/** The request mix of a test: scenarios and how often each is chosen. */
export class Workload {
  readonly scenarios: CompiledScenario[];
  private readonly cumulative: number[];
  private readonly seed: number;
  private readonly target: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxRedirects: number;
  private readonly vus = new Map<number, VuState>();
  private readonly exhaustedController = new AbortController();
  private readonly dataErrorController = new AbortController();
  private synthForFlows: PromptSynth | undefined;

  constructor(test: WorkloadTest, target: string, options: WorkloadOptions = {}) {
    const slice: WorkerSlice = {
      workerIndex: options.workerIndex ?? 0,
      workerCount: options.workerCount ?? 1,
    };
    const defaults = {
      target,
      headers: test.headers,
      timeoutMs: test.timeout,
      maxRedirects: test.max_redirects,
    };
    this.seed = test.seed;
    this.target = target;
    this.headers = test.headers;
    this.timeoutMs = test.timeout;
    this.maxRedirects = test.max_redirects;
    this.scenarios = test.scenarios.map((s: Scenario, position) => {
      const seed = deriveSeed(test.seed, 0x5c0 + position);
      return {
        name: s.name,
        weight: s.weight,
        position,
        steps: s.steps?.map(
          (step, i) => new PreparedStep(namedStep(step, i), i, defaults, deriveSeed(seed, i)),
        ),
        session: s.session === undefined ? undefined : new PreparedSession(s.session as SessionSpec, seed),
        flow: s.flow,
        feeder: s.feeder === undefined ? undefined : new Feeder(s.feeder, slice),
        retry: s.retry,
        cancel: compileCancel(s.cancel),
        thinkTime: s.think_time,
        iterationThinkTime: s.iteration_think_time,
      };
    });
    let total = 0;
    this.cumulative = this.scenarios.map((s) => {
      total += s.weight;
      return total;
    });
    if (total <= 0)
      throw new Error('scenario weights add up to 0: at least one scenario needs a positive weight');
  }

  /**
   * Aborted when a `sequential` or `unique` feeder ran out of rows: the engine
   * should stop starting iterations (a clean stop, or after the `check_failed`
   * records of `on_exhausted: error`).
   */
  get exhausted(): AbortSignal {
    return this.exhaustedController.signal;
  }

  /**
   * Aborted, with the bad row's `file:line: what` as its reason, when a feeder met a row it
   * cannot read during the run: the iteration was recorded as `data_error`, and the engine
   * should stop the run (the policy for bad data, documented in docs/limits.md).
   */
  get dataError(): AbortSignal {
    return this.dataErrorController.signal;
  }

  /**
   * Resolves when every feeder has read its first row (`random`: indexed its whole file);
   * a bad row found by then is a bad test: a ConfigError naming the feeder, file and line.
   */
  async ready(): Promise<void> {
    await Promise.all(
      this.scenarios.map(async (s) => {
        try {
          await s.feeder?.ready();
        } catch (err) {
          throw err instanceof DataError
            ? new ConfigError(`scenarios[${s.position}].feeder: ${err.message}`)
            : err;
        }
      }),
    );
  }

  /**
   * The scenario of iteration `n`. Drawn from a stream seeded by the iteration
   * number, so the mix does not depend on timing or on which worker runs it.
   */
  scenarioFor(iteration: number): CompiledScenario {
    const rng = createRng(deriveSeed(this.seed, iteration));
    return this.scenarios[pickWeighted(rng, this.cumulative)] as CompiledScenario;
  }

  /** The seeded random source of iteration `n` (cancellation, jitter, templates, prompts). */
  iterationRng(iteration: number): Rng {
    return createRng(deriveSeed(deriveSeed(this.seed, ITERATION_STREAM), iteration));
  }

  private vuState(vu: number): VuState {
    let state = this.vus.get(vu);
    if (state === undefined) {
      state = { vars: {}, think: new Map() };
      this.vus.set(vu, state);
    }
    return state;
  }

  /** Think time of a VU in a scenario: its own seeded stream per VU, scenario and kind. */
  private thinkTime(vu: number, scenario: CompiledScenario, kind: 0 | 1, dist: Distribution): ThinkTime {
    const state = this.vuState(vu);
    const key = `${scenario.position}:${kind}`;
    let think = state.think.get(key);
    if (think === undefined) {
      think = new ThinkTime(dist, deriveSeed(this.seed, THINK_STREAM + scenario.position * 2 + kind), vu);
      state.think.set(key, think);
    }
    return think;
  }

  /**
   * Takes a feeder row; undefined (after recording or signalling) when the feeder is exhausted
   * or met a bad row.
   */
  private async takeRow(scenario: CompiledScenario, run: IterationRun): Promise<Row | undefined> {
    const feeder = scenario.feeder as Feeder;
    let row: Row | undefined;
    try {
      row = await feeder.next(run.rng);
    } catch (err) {
      if (!(err instanceof DataError)) throw err;
      // Recorded once: the iterations still waiting for a row when the run stops find none.
      if (!this.dataErrorController.signal.aborted) {
        failBeforeSend(run, { index: 0, name: 'feeder' }, err.message, {}, 'data_error');
        this.dataErrorController.abort(err.message);
      }
      return undefined;
    }
    if (row !== undefined) return row;
    if (feeder.spec.on_exhausted === 'error') {
      const message = `feeder ${feeder.file} is exhausted (${feeder.spec.strategy}, ${feeder.used} rows used by this worker)`;
      failBeforeSend(run, { index: 0, name: 'feeder' }, message, {}, 'check_failed', 'http');
    }
    this.exhaustedController.abort('feeder exhausted');
    return undefined;
  }

  /**
   * Runs one iteration of the scenario picked for it. Never rejects for a failed request; what
   * it resolves with is not for use. An iteration of steps with no feeder and no pause after it
   * (most) is its steps' own promise, and a one-step iteration its request's: every async frame
   * waiting on a request in flight is copied by each young-generation GC (see `exchangeThen`).
   */
  runIteration(ctx: IterationContext): Promise<unknown> {
    const scenario = this.scenarioFor(ctx.iteration);
    if (
      scenario.steps === undefined ||
      scenario.feeder !== undefined ||
      scenario.iterationThinkTime !== undefined
    ) {
      return this.runWholeIteration(ctx, scenario);
    }
    try {
      const run = this.iterationRun(ctx, scenario);
      const scope = this.scopeOf(ctx, scenario, run, undefined);
      const steps = scenario.steps;
      if (steps.length === 1) return runOneStep(steps[0] as PreparedStep, run, scope);
      return this.runStepsInOrder(steps, run, scope, this.thinkOf(ctx, scenario, run));
    } catch (err) {
      // As from an async function: a bug here rejects the iteration (InFlight reports it).
      return Promise.reject(err);
    }
  }

  private iterationRun(ctx: IterationContext, scenario: CompiledScenario): IterationRun {
    return {
      ctx,
      scenario: scenario.name,
      retry: scenario.retry,
      cancel: scenario.cancel,
      rng: this.iterationRng(ctx.iteration),
      vars: this.vuState(ctx.vu).vars,
      scheduled: ctx.scheduled,
      target: this.target,
      headers: this.headers,
      timeoutMs: this.timeoutMs,
      maxRedirects: this.maxRedirects,
    };
  }

  private scopeOf(
    ctx: IterationContext,
    scenario: CompiledScenario,
    run: IterationRun,
    row: Row | undefined,
  ): TemplateScope {
    return {
      vu: ctx.vu,
      iteration: ctx.iteration,
      scenario: scenario.name,
      row,
      vars: run.vars,
      trace: ctx.data?.trace as Readonly<Record<string, unknown>> | undefined,
      rng: run.rng,
    };
  }

  /** The pause between an iteration's steps: a flow's `vu.think(dist)`, or the scenario's think time. */
  private thinkOf(
    ctx: IterationContext,
    scenario: CompiledScenario,
    run: IterationRun,
  ): (dist?: Distribution) => Promise<void> {
    return async (dist?: Distribution): Promise<void> => {
      if (ctx.signal?.aborted) return;
      if (dist !== undefined) {
        const ms = createSampler(dist)(run.rng);
        if (ms > 0)
          await sleep(ms, undefined, ctx.signal ? { signal: ctx.signal } : {}).catch(() => undefined);
      } else if (scenario.thinkTime !== undefined) {
        await this.thinkTime(ctx.vu, scenario, 0, scenario.thinkTime).pause(
          ctx.signal ?? new AbortController().signal,
        );
      }
    };
  }

  /** An iteration with a feeder row, a session or flow, or a pause after it. */
  private async runWholeIteration(ctx: IterationContext, scenario: CompiledScenario): Promise<void> {
    const run = this.iterationRun(ctx, scenario);
    let row: Row | undefined;
    if (scenario.feeder !== undefined) {
      row = await this.takeRow(scenario, run);
      if (row === undefined) {
        // Without an engine watching `exhausted`, a tight loop of empty iterations must still yield.
        await sleep(10, undefined, ctx.signal ? { signal: ctx.signal } : {}).catch(() => undefined);
        return;
      }
    }
    const scope = this.scopeOf(ctx, scenario, run, row);
    const think = this.thinkOf(ctx, scenario, run);
    try {
      if (scenario.steps !== undefined) await this.runSteps(scenario.steps, run, scope, think);
      else if (scenario.session !== undefined) {
        await scenario.session.run(run, {
          scope,
          think,
          nextRow: async (turn) =>
            scenario.feeder === undefined ? null : turn === 1 ? row : this.takeRow(scenario, run),
        });
      } else if (scenario.flow !== undefined) {
        this.synthForFlows ??= new PromptSynth({ prompt_tokens: 1 }, this.seed);
        const vu = createVu(run, {
          scope,
          row,
          think,
          nextRow: () =>
            scenario.feeder === undefined ? Promise.resolve(undefined) : this.takeRow(scenario, run),
          synth: this.synthForFlows,
          seed: deriveSeed(this.seed, ctx.iteration),
        });
        await scenario.flow(vu);
      }
    } catch (err) {
      // A flow that throws is a bug in the test, reported as a failed step rather than lost.
      failBeforeSend(run, FLOW_STEP, `flow threw: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    if (scenario.iterationThinkTime !== undefined) {
      const stop =
        ctx.stop === undefined
          ? ctx.signal
          : ctx.signal === undefined
            ? ctx.stop
            : AbortSignal.any([ctx.stop, ctx.signal]);
      await this.thinkTime(ctx.vu, scenario, 1, scenario.iterationThinkTime).pause(
        stop ?? new AbortController().signal,
      );
    }
  }

  /**
   * A scenario's steps in order, with think time between them. The iteration
   * ends at the first step that fails or is cancelled, as a user whose
   * request failed would not carry on with the next one. One step (most
   * scenarios) is its request's promise, with no async frame of its own.
   */
  private runSteps(
    steps: readonly PreparedStep[],
    run: IterationRun,
    scope: TemplateScope,
    think: () => Promise<void>,
  ): Promise<unknown> {
    if (steps.length === 1) return runOneStep(steps[0] as PreparedStep, run, scope);
    return this.runStepsInOrder(steps, run, scope, think);
  }

  private async runStepsInOrder(
    steps: readonly PreparedStep[],
    run: IterationRun,
    scope: TemplateScope,
    think: () => Promise<void>,
  ): Promise<void> {
    for (const step of steps) {
      if (isAborted(run.ctx.signal)) return;
      if (step.index > 0) {
        const before = run.ctx.clock();
        await think();
        if (run.ctx.clock() > before) run.scheduled = run.ctx.clock();
      }
      const request = buildStep(step, run, scope);
      if (request === undefined) return;
      const result = await sendRequest(run, request, step.index, step.captures);
      if (!result.ok) return;
    }
  }

  /** Closes feeder files. */
  async close(): Promise<void> {
    await Promise.all(this.scenarios.map((s) => s.feeder?.close()));
  }
}
