/**
 * @module load
 * Load models (executors): when iterations start. Each executor's schedule is
 * a pure plan (arrival times, VU count over time) that the engine slices
 * into segments; each keeps its zod schema beside it and has one line in the
 * list (load/executors.ts) that the config's `load` union and the lookup derive from.
 */
import type { Load } from '../config/index.js';
import type { ExecutionPlan, Executor, ExecutorContext, IterationData, Segment } from './executor.js';
import { lookupExecutor } from './executors.js';

export { type Arrival, ArrivalSchema, sampleGamma, unitGaps } from './arrival-process.js';
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

export function bindExecutor<L extends Load>(executor: Executor<L>, load: L): BoundExecutor {
  let prepared: { seed: number; arrivals: Float64Array } | undefined;
  return {
    plan: executor.plan(load),
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
