/**
 * @module load
 * Load models (executors): when iterations start. Each executor's schedule is
 * a pure plan (arrival times, VU count over time) that the engine slices
 * into segments; each keeps its zod schema beside it and has one line in the
 * list (load/executors.ts) that the config's `load` union and the lookup derive from.
 */
import { ConfigError } from '../core/index.js';
import type { ExecutionPlan, Executor, ExecutorContext, IterationData, Segment } from './executor.js';
import { type Load, lookupExecutor } from './executors.js';

export { type Arrival, ArrivalSchema, sampleGamma, unitGaps } from './arrival-process.js';
export { BACK_OFF_MAX_MS, backOffMs, ScriptBackOff } from './back-off.js';
export {
  arrivalTime,
  ConstantArrivalRate,
  ConstantArrivalRateSchema,
  constantArrivals,
  plannedArrivals,
} from './constant-arrival-rate.js';
export { ConstantVus, ConstantVusSchema } from './constant-vus.js';
export { type ExecutorEntry, type LoadSection, localCounter, WHOLE } from './executor.js';
export {
  EXECUTORS,
  type ExecutorName,
  executorSchemas,
  type Load,
  LoadSchema,
  lookupExecutor,
  unknownExecutorMessage,
} from './executors.js';
export { PerVuIterations, PerVuIterationsSchema } from './per-vu-iterations.js';
export {
  RampingArrivalRate,
  RampingArrivalRateSchema,
  rampingArrivals,
  rampingSchedule,
} from './ramping-arrival-rate.js';
export { activeIntervals, RampingVus, RampingVusSchema, rampingVusSchedule } from './ramping-vus.js';
export {
  arrivalTimes,
  cumulativeAt,
  type PlannedStage,
  type PlanPoint,
  planSeries,
  profileOf,
  type RateProfile,
  valueAt,
  vuTargets,
} from './rate-profile.js';
export { compileShape, type Shape, ShapeSchema } from './shapes.js';
export { SharedIterations, SharedIterationsSchema } from './shared-iterations.js';
export { Sweep, SweepSchema } from './sweep.js';
export { nextSweepStep, type SweepResult, type SweepSearch, type SweepStep } from './sweep-search.js';
export { readTrace, type TracePlan, TraceSchema, traceExecutor, tracePlan } from './trace.js';
export { loadTrace, type Trace, timestampMs } from './trace-file.js';
export type { ExecutionPlan, Executor, ExecutorContext, IterationData, Segment };

/** An executor bound to its load section, with its plan. */
export interface BoundExecutor {
  plan: ExecutionPlan;
  /** Draws what the run will need (an open model's arrival times) now, before the clock starts. */
  prepare: (seed: number) => void;
  run: (ctx: ExecutorContext, seed: number) => Promise<void>;
}

/** Most arrivals an open model may plan: each is drawn before the run (8 bytes apiece). */
export const MAX_PLANNED_ARRIVALS = 50_000_000;
/** Most VUs at once (`vus`, `max_vus`, a stage or shape target): each is a loop in memory. */
export const MAX_CONCURRENT_VUS = 1_000_000;

export function bindExecutor<L extends Load>(executor: Executor<L>, load: L): BoundExecutor {
  let prepared: { seed: number; arrivals: Float64Array } | undefined;
  const plan = executor.plan(load);
  const vus = load.executor === 'sweep' && load.mode === 'vus' ? load.max : plan.maxConcurrency;
  if (vus > MAX_CONCURRENT_VUS) {
    throw new ConfigError(
      `load: the schedule needs ${vus.toPrecision(3)} VUs at once (vus, max_vus, or the highest target); expected at most ${MAX_CONCURRENT_VUS.toLocaleString('en-US')}`,
    );
  }
  if (executor.arrivals !== undefined) {
    const offered =
      plan.offered?.unit === 'iterations_per_s'
        ? plan.offered.series.reduce((sum, point) => sum + point.value, 0)
        : Number.POSITIVE_INFINITY;
    const planned = Math.min(plan.iterations ?? Number.POSITIVE_INFINITY, offered);
    if (Number.isFinite(planned) && planned > MAX_PLANNED_ARRIVALS) {
      throw new ConfigError(
        `load: the schedule plans ${planned.toPrecision(3)} arrivals; expected at most ${MAX_PLANNED_ARRIVALS.toLocaleString('en-US')} (lower the rate or the duration, or set iterations)`,
      );
    }
  }
  return {
    plan,
    prepare: (seed) => {
      if (executor.arrivals !== undefined) prepared = { seed, arrivals: executor.arrivals(load, seed) };
    },
    run: (ctx, seed) =>
      executor.run(load, ctx, seed, prepared?.seed === seed ? prepared.arrivals : undefined),
  };
}

/** The executor of a load section with its plan (a trace is read here, once). */
export function executorFor(load: Load): BoundExecutor {
  return bindExecutor(lookupExecutor(load), load);
}
