/**
 * @module load/constant-arrival-rate
 * Open model: iterations start at a fixed mean rate from a precomputed,
 * seeded schedule (evenly spaced, Poisson or gamma), whatever the target's
 * latency (no coordinated omission). An arrival finding every VU busy is
 * dropped and counted, never queued or delayed.
 */
import { z } from 'zod';
import { ArrivalSchema } from './arrival-process.js';
import { runArrivals, vuPool } from './arrival-runner.js';
import type { Executor, ExecutorEntry } from './executor.js';
import { boundError, bounds, loadCommon, maxVus, needsBound, positiveNumber } from './load-fields.js';
import { arrivalTimes, type ProfilePoint, planSeries } from './rate-profile.js';
import { waitFor } from './wait.js';

export const ConstantArrivalRateSchema = z
  .strictObject({
    executor: z.literal('constant-arrival-rate'),
    /** Iterations started per second (the mean, for Poisson and gamma arrivals). */
    rate: positiveNumber(),
    /** How arrivals are spaced: `constant`, `poisson` or `{ gamma: { burstiness } }`. */
    arrival: ArrivalSchema,
    /** Most iterations in flight at once; an arrival beyond it is dropped, never delayed. */
    max_vus: maxVus,
    ...bounds,
    ...loadCommon,
  })
  .refine(needsBound, boundError);

export type ConstantArrivalRateLoad = z.output<typeof ConstantArrivalRateSchema>;

/** Number of planned evenly spaced arrivals: every `1000 / rate` ms within the duration, capped by iterations. */
export function plannedArrivals(load: ConstantArrivalRateLoad): number {
  const byTime =
    load.duration === undefined ? Number.POSITIVE_INFINITY : Math.ceil((load.duration * load.rate) / 1000);
  return Math.min(byTime, load.iterations ?? Number.POSITIVE_INFINITY);
}

/** Schedule time (ms from the start) of evenly spaced arrival `i`. */
export function arrivalTime(load: ConstantArrivalRateLoad, i: number): number {
  return (i * 1000) / load.rate;
}

function profile(load: ConstantArrivalRateLoad): ProfilePoint[] {
  const end = load.duration ?? Number.POSITIVE_INFINITY;
  return [
    { atMs: 0, value: load.rate },
    { atMs: end, value: load.rate },
  ];
}

/** Every arrival time of the plan (ms from the start), seeded: the engine slices it by segment. */
export function constantArrivals(load: ConstantArrivalRateLoad, seed: number): Float64Array {
  return arrivalTimes(profile(load), load.arrival, seed, load.iterations);
}

export const ConstantArrivalRate = {
  name: 'constant-arrival-rate',

  plan(load) {
    return {
      durationMs: load.duration,
      // Evenly spaced arrivals are counted ahead; a Poisson or gamma count depends on the seed
      // (the plan has none), so it is known only when `iterations` alone bounds it.
      iterations:
        load.arrival === 'constant' || load.duration === undefined ? plannedArrivals(load) : undefined,
      maxConcurrency: load.max_vus,
      ...(load.duration !== undefined
        ? { offered: { unit: 'iterations_per_s' as const, series: planSeries(profile(load)) } }
        : {}),
    };
  },

  arrivals: constantArrivals,

  async run(load, ctx, seed, arrivals?) {
    const times = arrivals ?? constantArrivals(load, seed);
    const start = ctx.clock();
    await runArrivals(ctx, { times, startMs: start, free: vuPool(load.max_vus, ctx.segment) });
    // The load lasts its whole duration even when the last arrival came earlier.
    if (load.duration !== undefined) await waitFor(start + load.duration - ctx.clock(), ctx.stop);
  },
} satisfies Executor<ConstantArrivalRateLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const constantArrivalRateEntry: ExecutorEntry<typeof ConstantArrivalRateSchema> = {
  name: 'constant-arrival-rate',
  schema: ConstantArrivalRateSchema,
  executor: () => ConstantArrivalRate,
};
