/**
 * @module load/constant-arrival-rate
 * Open model: iterations start at a fixed rate from a precomputed schedule,
 * whatever the target's latency (no coordinated omission). An arrival finding
 * every VU busy is dropped and counted, never queued or delayed.
 */
import type { Load } from '../config/index.js';
import { type Executor, WHOLE } from './executor.js';
import { waitFor } from './wait.js';

type ConstantArrivalRateLoad = Extract<Load, { executor: 'constant-arrival-rate' }>;

/** Number of planned arrivals: every `1000 / rate` ms within the duration, capped by iterations. */
export function plannedArrivals(load: ConstantArrivalRateLoad): number {
  const byTime =
    load.duration === undefined ? Number.POSITIVE_INFINITY : Math.ceil((load.duration * load.rate) / 1000);
  return Math.min(byTime, load.iterations ?? Number.POSITIVE_INFINITY);
}

/** Schedule time (ms from the start) of arrival `i`. */
export function arrivalTime(load: ConstantArrivalRateLoad, i: number): number {
  return (i * 1000) / load.rate;
}

export const ConstantArrivalRate = {
  name: 'constant-arrival-rate',

  plan(load) {
    return { durationMs: load.duration, iterations: plannedArrivals(load), maxConcurrency: load.max_vus };
  },

  async run(load, ctx) {
    const total = plannedArrivals(load);
    const segment = ctx.segment ?? WHOLE;
    // This segment's VU slots (`v % count === index`), free ones on a stack.
    const free: number[] = [];
    for (let v = load.max_vus - 1; v >= 0; v--) if (v % segment.count === segment.index) free.push(v);
    const start = ctx.clock();
    // This segment's arrivals: `i % count === index`.
    let next = segment.index;

    await new Promise<void>((resolve) => {
      const tick = (): void => {
        if (ctx.stop.aborted) {
          resolve();
          return;
        }
        const now = ctx.clock() - start;
        // Start every arrival that is due; a late timer shows up as scheduling lag, not a shifted plan.
        while (next < total && arrivalTime(load, next) <= now) {
          const scheduled = start + arrivalTime(load, next);
          const vu = free.pop();
          if (vu === undefined) ctx.dropped(scheduled);
          else ctx.runIteration(vu, next, scheduled).finally(() => free.push(vu));
          next += segment.count;
        }
        if (next >= total) {
          resolve();
          return;
        }
        const delay = arrivalTime(load, next) - (ctx.clock() - start);
        if (delay >= 1) setTimeout(tick, Math.floor(delay));
        else setImmediate(tick);
      };
      tick();
    });
    // The load lasts its whole duration even when the last arrival came earlier.
    if (load.duration !== undefined) await waitFor(start + load.duration - ctx.clock(), ctx.stop);
  },
} satisfies Executor<ConstantArrivalRateLoad>;
