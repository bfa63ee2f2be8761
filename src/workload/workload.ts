/**
 * @module workload/workload
 * What each iteration sends: a scenario picked by weight, its steps in order.
 * Everything is prepared before the run; an iteration only picks and sends.
 */
import type { Test } from '../config/index.js';
import type { RequestRecord } from '../metrics/index.js';
import { type CompiledStep, compileStep, runStep, type StepContext } from '../protocols/index.js';
import { createRng, deriveSeed, pickWeighted } from '../random/index.js';

/** A scenario ready to run. */
export interface CompiledScenario {
  name: string;
  weight: number;
  steps: CompiledStep[];
}

/** Where an iteration's records go, in completion order; the sink assigns ids. */
export type RecordSink = (record: Omit<RequestRecord, 'id'>) => void;

export interface IterationContext extends StepContext {
  vu: number;
  iteration: number;
  /** When the load model wanted this iteration to start (run clock, ms). */
  scheduled: number;
  sink: RecordSink;
}

/** The request mix of a test: scenarios and how often each is chosen. */
export class Workload {
  readonly scenarios: CompiledScenario[];
  private readonly cumulative: number[];
  private readonly seed: number;

  constructor(test: Test, target: string) {
    const defaults = { target, headers: test.headers, timeoutMs: test.timeout };
    this.scenarios = test.scenarios.map((s) => ({
      name: s.name,
      weight: s.weight,
      steps: s.steps.map((step, i) => compileStep(step, i, defaults)),
    }));
    let total = 0;
    this.cumulative = this.scenarios.map((s) => {
      total += s.weight;
      return total;
    });
    if (total <= 0)
      throw new Error('scenario weights add up to 0: at least one scenario needs a positive weight');
    this.seed = test.seed;
  }

  /**
   * The scenario of iteration `n`. Drawn from a stream seeded by the iteration
   * number, so the mix does not depend on timing or on which worker runs it.
   */
  scenarioFor(iteration: number): CompiledScenario {
    const rng = createRng(deriveSeed(this.seed, iteration));
    return this.scenarios[pickWeighted(rng, this.cumulative)] as CompiledScenario;
  }

  /**
   * Runs one iteration: its scenario's steps in order. The iteration ends at
   * the first step that fails or is cancelled, as a user whose request failed
   * would not carry on with the next one.
   */
  async runIteration(ctx: IterationContext): Promise<void> {
    const scenario = this.scenarioFor(ctx.iteration);
    let scheduled = ctx.scheduled;
    for (const step of scenario.steps) {
      if (ctx.signal?.aborted) return;
      const m = await runStep(step, ctx);
      ctx.sink({
        scenario: scenario.name,
        step: step.index,
        stepName: step.name,
        kind: step.kind,
        vu: ctx.vu,
        iteration: ctx.iteration,
        scheduled: Math.round(scheduled * 1000) / 1000,
        schedulingLagMs: Math.max(0, Math.round((m.sent - scheduled) * 1000) / 1000),
        ...m,
      });
      if (m.outcome !== 'ok') return;
      // The next step is wanted as soon as this one ends.
      scheduled = m.end;
    }
  }
}
