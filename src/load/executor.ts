/**
 * @module load/executor
 * The contract every load model fulfils: when to start iterations. What an
 * iteration sends is the workload's business, not the executor's.
 */
import type { Load } from '../config/index.js';
import type { Clock } from '../protocols/index.js';

export interface ExecutorContext {
  clock: Clock;
  /** Starts iteration `iteration` for virtual user `vu`; resolves when it has ended. */
  runIteration(vu: number, iteration: number, scheduled: number): Promise<void>;
  /** An arrival that could not be started at its time (all VUs busy). */
  dropped(scheduled: number): void;
  /** Aborted when the run must stop starting iterations (SIGINT, abort). */
  stop: AbortSignal;
  /**
   * The slice of the plan this executor runs (k6's execution segments): arrival
   * or VU `i` belongs to segment `i % count`. Absent: the whole plan.
   */
  segment?: Segment;
  /**
   * Claims the next run-wide iteration number (shared by all segments, so an
   * `iterations` bound holds across workers). Absent: a local counter.
   */
  claimIteration?: () => number;
}

/** One of `count` equal slices of a plan. */
export interface Segment {
  index: number;
  count: number;
}

/** The whole plan. */
export const WHOLE: Segment = { index: 0, count: 1 };

/** A local iteration counter, for an executor run without a shared one. */
export function localCounter(): () => number {
  let next = 0;
  return () => next++;
}

/** What a load model will do, known before it runs. */
export interface ExecutionPlan {
  /** Planned duration in ms, when bounded by time. */
  durationMs: number | undefined;
  /** Planned iterations, when bounded by count (for arrivals: the number of planned arrivals). */
  iterations: number | undefined;
  /** Most iterations in flight at once. */
  maxConcurrency: number;
}

/**
 * A load model. `run` resolves once it will start no more iterations; the
 * engine then lets in-flight ones finish within the graceful stop.
 */
export interface Executor<L extends Load = Load> {
  readonly name: L['executor'];
  plan(load: L): ExecutionPlan;
  run(load: L, ctx: ExecutorContext, seed: number): Promise<void>;
}
