/**
 * @module load/ramping-arrival-rate
 * Open model whose rate follows stages (linear ramps, k6 semantics, starting
 * from `start_rate`) or a named shape. Arrival times come from time-rescaling
 * a seeded unit-rate process by the cumulative rate, so the achieved rate
 * follows the ramp exactly, with constant, Poisson or gamma spacing.
 */
import { z } from 'zod';
import { ArrivalSchema } from './arrival-process.js';
import { runArrivals, vuPool } from './arrival-runner.js';
import type { Executor, ExecutorEntry } from './executor.js';
import { durationCap, loadCommon, maxVus, nonNegativeNumber } from './load-fields.js';
import { arrivalTimes, planSeries } from './rate-profile.js';
import { endOf, oneOfStagesOrShape, stagedFields, stagedSchedule, stageSpans } from './staged.js';
import { waitFor } from './wait.js';

export const RampingArrivalRateSchema = z
  .strictObject({
    executor: z.literal('ramping-arrival-rate'),
    /** Arrivals per second at the start (the first stage ramps from it); a shape sets its own. */
    start_rate: nonNegativeNumber().default(0),
    ...stagedFields,
    arrival: ArrivalSchema,
    max_vus: maxVus,
    ...durationCap,
    ...loadCommon,
  })
  .refine(...oneOfStagesOrShape);

export type RampingArrivalRateLoad = z.output<typeof RampingArrivalRateSchema>;

/** The rate curve and labelled stages of the load. */
export function rampingSchedule(load: RampingArrivalRateLoad) {
  return stagedSchedule(load, load.start_rate);
}

/** Every arrival time of the plan (ms from the start), seeded. */
export function rampingArrivals(load: RampingArrivalRateLoad, seed: number): Float64Array {
  return arrivalTimes(rampingSchedule(load).profile, load.arrival, seed);
}

export const RampingArrivalRate = {
  name: 'ramping-arrival-rate',

  plan(load) {
    const { profile, stages } = rampingSchedule(load);
    return {
      durationMs: endOf(profile),
      iterations: undefined,
      maxConcurrency: load.max_vus,
      stages: stageSpans(stages),
      offered: { unit: 'iterations_per_s' as const, series: planSeries(profile) },
    };
  },

  arrivals: rampingArrivals,

  async run(load, ctx, seed, arrivals?) {
    const { profile } = rampingSchedule(load);
    const times = arrivals ?? rampingArrivals(load, seed);
    const start = ctx.clock();
    await runArrivals(ctx, { times, startMs: start, free: vuPool(load.max_vus, ctx.segment) });
    await waitFor(start + endOf(profile) - ctx.clock(), ctx.stop);
  },
} satisfies Executor<RampingArrivalRateLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const rampingArrivalRateEntry: ExecutorEntry<typeof RampingArrivalRateSchema> = {
  name: 'ramping-arrival-rate',
  schema: RampingArrivalRateSchema,
  executor: () => RampingArrivalRate,
};
