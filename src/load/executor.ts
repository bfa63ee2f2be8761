/**
 * @module load/executor
 * The contract every load model fulfils: when to start iterations. What an
 * iteration sends is the workload's business, not the executor's.
 */
import type { z } from 'zod';
import type { Clock } from '../core/index.js';
import type { StageMeasurement, StageSpan } from '../metrics/index.js';

/**
 * Per-iteration values from the load model for the workload, e.g. a trace's
 * `{ trace: { input_tokens, output_tokens, … } }` (templates read `trace.input_tokens`).
 */
export type IterationData = Readonly<Record<string, unknown>>;

export interface ExecutorContext {
  clock: Clock;
  /**
   * Starts iteration `iteration` for virtual user `vu`; resolves when it has
   * ended. `data` carries per-arrival values (trace replay) to the workload.
   */
  runIteration(vu: number, iteration: number, scheduled: number, data?: IterationData): Promise<void>;
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
  /**
   * A pause for VU `vu` before its next iteration when its last one ended in a
   * script error (back-off), else undefined. Closed models await it (or the
   * next turn of the event loop) between iterations: see `users.ts`.
   */
  backOff?: (vu: number, stop: AbortSignal) => Promise<void> | undefined;
  /** A closed model's virtual user started (+1) or stopped (-1) running, for live views. */
  vuActive?: (delta: 1 | -1) => void;
  /**
   * Announces a labelled stage decided while running (a sweep's steps), before
   * any arrival in it; stages known ahead are in the plan instead.
   */
  stage?: (span: StageSpan) => void;
  /**
   * What was measured for the requests scheduled in `[fromMs, toMs)` (whole
   * stages), for load models that decide from results (the sweep).
   */
  measure?: (fromMs: number, toMs: number) => StageMeasurement;
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

/** What every load section has: the name of its executor. */
export interface LoadSection {
  executor: string;
}

/**
 * One executor of the list in load/executors.ts, the only place executors are
 * named: the `executor:` value a test uses, the zod schema of its load section
 * (the config's `load` union is made of these), and the executor for a parsed
 * section. Built-in executors and, later, plugins register the same way.
 */
export interface ExecutorEntry<S extends z.ZodType<LoadSection> = z.ZodType<LoadSection>> {
  readonly name: z.output<S>['executor'];
  readonly schema: S;
  /** The executor of a parsed section; reads what it needs once, before the run (a trace file). */
  executor(load: z.output<S>): Executor<z.output<S>>;
}

/** What a load model will do, known before it runs. */
export interface ExecutionPlan {
  /** Planned duration in ms, when bounded by time. */
  durationMs: number | undefined;
  /** Planned iterations, when bounded by count (for arrivals: the number of planned arrivals). */
  iterations: number | undefined;
  /** Most iterations in flight at once. */
  maxConcurrency: number;
  /** Labelled stages known ahead (run-clock ms, the load starting at 0). */
  stages?: StageSpan[];
  /** The offered load per second, known ahead: arrivals/s (open models) or VUs (closed). */
  offered?: { unit: 'iterations_per_s' | 'vus'; series: { start_s: number; value: number }[] };
  /** Only segment 0 runs this load (it decides from measurements, e.g. the sweep). */
  singleSegment?: boolean;
}

/**
 * A load model. `run` runs what `plan` says (its count exactly; an open
 * model's arrivals at their times), only its segment's share (arrival or VU
 * `i` in segment `i % count`), and resolves once it will start no more
 * iterations: at the end of its plan or soon after `stop` aborts, without
 * waiting for in-flight iterations (the engine's graceful stop does) and
 * starting none after. An arrival finding every VU busy is `dropped` at its
 * time. Checked for every executor by load/executors.test.ts.
 */
export interface Executor<L extends LoadSection = LoadSection> {
  readonly name: L['executor'];
  plan(load: L): ExecutionPlan;
  /**
   * An open model's arrival times (ms from its start), computed before the
   * start barrier and handed to `run`: a long plan takes tens of milliseconds
   * to draw, which would otherwise shift the whole schedule after the clock started.
   */
  arrivals?(load: L, seed: number): Float64Array;
  run(load: L, ctx: ExecutorContext, seed: number, arrivals?: Float64Array): Promise<void>;
}
