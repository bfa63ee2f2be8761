/**
 * @module load/constant-vus
 * Closed model: N virtual users each run iterations back to back (with an
 * optional think time), for a duration and/or a total number of iterations.
 */
import type { Load } from '../config/index.js';
import { ThinkTime } from '../workload/index.js';
import { type Executor, type ExecutorContext, localCounter, WHOLE } from './executor.js';
import { waitFor } from './wait.js';

type ConstantVusLoad = Extract<Load, { executor: 'constant-vus' }>;

export const ConstantVus = {
  name: 'constant-vus',

  plan(load) {
    return { durationMs: load.duration, iterations: load.iterations, maxConcurrency: load.vus };
  },

  async run(load, ctx, seed) {
    const ended = new AbortController();
    const stop = AbortSignal.any([ctx.stop, ended.signal]);
    const limit = load.iterations ?? Number.POSITIVE_INFINITY;
    const claim = ctx.claimIteration ?? localCounter();
    const segment = ctx.segment ?? WHOLE;

    const user = async (vu: number): Promise<void> => {
      const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
      while (!stop.aborted) {
        const iteration = claim();
        if (iteration >= limit) return;
        await ctx.runIteration(vu, iteration, ctx.clock());
        if (think !== undefined) await think.pause(stop);
      }
    };

    // This segment's users: VU `v` belongs to segment `v % count`.
    const mine = Array.from({ length: load.vus }, (_, vu) => vu).filter(
      (vu) => vu % segment.count === segment.index,
    );
    const users = Promise.all(mine.map((vu) => user(vu)));
    // Bounded by iterations only: the run ends when the users have done them all.
    if (load.duration === undefined) {
      await users;
      return;
    }
    // Bounded by time: stop starting iterations at the deadline; in-flight ones
    // are the engine's (graceful stop).
    await Promise.race([waitFor(load.duration, stop), users]);
    ended.abort();
  },
} satisfies Executor<ConstantVusLoad>;

export type { ExecutorContext };
