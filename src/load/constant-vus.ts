/**
 * @module load/constant-vus
 * Closed model: N virtual users each run iterations back to back (with an
 * optional think time), for a duration and/or a total number of iterations.
 */
import type { Load } from '../config/index.js';
import { ThinkTime } from '../workload/index.js';
import type { Executor, ExecutorContext } from './executor.js';
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
    let started = 0;
    const limit = load.iterations ?? Number.POSITIVE_INFINITY;

    const user = async (vu: number): Promise<void> => {
      const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
      while (!stop.aborted && started < limit) {
        const iteration = started++;
        await ctx.runIteration(vu, iteration, ctx.clock());
        if (think !== undefined) await think.pause(stop);
      }
    };

    const users = Promise.all(Array.from({ length: load.vus }, (_, vu) => user(vu)));
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
