/**
 * @module load/describe
 * What a load section will do, told before it runs (`tokenstorm validate`):
 * its stages, duration and iteration count, and how sure that count is. Read
 * from the same executor the run uses (its `plan`, and an open model's
 * seeded arrival times, drawn exactly as the run draws them), so the forecast
 * cannot drift from the run; an executor whose plan is decided while running
 * (the sweep) tells its bounds with its own `describe`.
 */

import type { ExecutionPlan, ExecutorDescription } from './executor.js';
import type { Load } from './executors.js';
import { lookupExecutor } from './executors.js';

/**
 * How well the iteration count is known ahead:
 * - `exact`: the run starts exactly `iterations` (arrival-rate and trace
 *   executors, drawn with the test's seed; iteration-bounded closed models);
 * - `up_to`: at most `iterations` (a closed model bounded by both a count and
 *   a duration; a sweep, whose steps depend on what it measures);
 * - `at_least`: a closed model bounded by time: each VU starts at least one
 *   iteration and then as many as its response times allow, so only the lower
 *   bound (`iterations`) is known.
 */
export type CountKind = 'exact' | 'up_to' | 'at_least';

export type { ExecutorDescription };

/** A load section's forecast. */
export interface LoadDescription {
  executor: string;
  model: 'open' | 'closed';
  /** Planned duration in seconds (the longest, for `up_to`); undefined when bounded by count alone. */
  duration_s: number | undefined;
  duration_kind: 'exact' | 'up_to' | 'unknown';
  iterations: number;
  iterations_kind: CountKind;
  /** Most iterations in flight at once (VUs, or max_vus of an open model). */
  max_concurrency: number;
  /** Labelled stages known ahead: name, start and end in seconds, target load. */
  stages: { name: string; start_s: number; end_s: number; target?: number | undefined }[];
  /** One line on what the count depends on, when it is not exact. */
  note?: string | undefined;
}

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function closedCount(plan: ExecutionPlan): Pick<LoadDescription, 'iterations' | 'iterations_kind' | 'note'> {
  if (plan.iterations !== undefined && plan.durationMs === undefined) {
    return { iterations: plan.iterations, iterations_kind: 'exact' };
  }
  if (plan.iterations !== undefined) {
    return {
      iterations: plan.iterations,
      iterations_kind: 'up_to',
      note: 'bounded by iterations and duration: whichever comes first',
    };
  }
  return {
    iterations: plan.maxConcurrency,
    iterations_kind: 'at_least',
    note: 'closed model bounded by time: each VU starts one iteration after another, so the count is VUs × duration / iteration time, known only after the run',
  };
}

/**
 * The forecast of `load` for a test seeded `seed`.
 * Call it after `executorFor(load)` (load/index.ts), which refuses, as `run`
 * does, a schedule that cannot be built.
 */
export function describeLoad(load: Load, seed: number): LoadDescription {
  const executor = lookupExecutor(load);
  const plan = executor.plan(load);
  const open = executor.arrivals !== undefined || plan.offered?.unit === 'iterations_per_s';
  let count: Pick<LoadDescription, 'iterations' | 'iterations_kind' | 'note'>;
  if (executor.arrivals !== undefined) {
    // The very arrival times the run will draw (the engine seeds them with the test's seed).
    count = { iterations: executor.arrivals(load, seed).length, iterations_kind: 'exact' };
  } else if (open && plan.iterations !== undefined) {
    count = { iterations: plan.iterations, iterations_kind: 'exact' };
  } else {
    count = closedCount(plan);
  }
  const own = executor.describe?.(load) ?? {};
  return {
    executor: load.executor,
    model: own.model ?? (open ? 'open' : 'closed'),
    duration_s: own.duration_s ?? seconds(plan.durationMs),
    duration_kind: own.duration_kind ?? (plan.durationMs === undefined ? 'unknown' : 'exact'),
    iterations: own.iterations ?? count.iterations,
    iterations_kind: own.iterations_kind ?? count.iterations_kind,
    max_concurrency: plan.maxConcurrency,
    stages: (plan.stages ?? []).map((s) => ({
      name: s.name,
      start_s: s.startMs / 1000,
      end_s: s.endMs / 1000,
      ...(s.target !== undefined ? { target: s.target } : {}),
    })),
    note: own.note ?? count.note,
  };
}
