/**
 * @module load
 * Load models (executors): when iterations start.
 */
import type { Load } from '../config/index.js';
import { ConstantArrivalRate } from './constant-arrival-rate.js';
import { ConstantVus } from './constant-vus.js';
import type { ExecutionPlan, Executor, ExecutorContext, Segment } from './executor.js';

export { arrivalTime, ConstantArrivalRate, plannedArrivals } from './constant-arrival-rate.js';
export { ConstantVus } from './constant-vus.js';
export { localCounter, WHOLE } from './executor.js';
export type { ExecutionPlan, Executor, ExecutorContext, Segment };

/** The executor of a load section with its plan. */
export function executorFor(load: Load): {
  plan: ExecutionPlan;
  run: (ctx: ExecutorContext, seed: number) => Promise<void>;
} {
  switch (load.executor) {
    case 'constant-vus':
      return { plan: ConstantVus.plan(load), run: (ctx, seed) => ConstantVus.run(load, ctx, seed) };
    case 'constant-arrival-rate':
      return { plan: ConstantArrivalRate.plan(load), run: (ctx) => ConstantArrivalRate.run(load, ctx) };
  }
}
