/**
 * @module load/constant-vus
 * Closed model: N virtual users each run iterations back to back (with an
 * optional think time), for a duration and/or a total number of iterations.
 */
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
// The file, not workload/index: the workload imports config, which imports these schemas (a cycle).
import { ThinkTime } from '../workload/think-time.js';
import { activeWhile } from './active.js';
import { type Executor, type ExecutorContext, localCounter, WHOLE } from './executor.js';
import { boundError, bounds, loadCommon, needsBound, positiveInt } from './load-fields.js';
import { waitFor } from './wait.js';

export const ConstantVusSchema = z
  .strictObject({
    executor: z.literal('constant-vus'),
    vus: positiveInt(),
    /** Pause after each iteration, in milliseconds (a number or a distribution). */
    think_time: DistributionSchema.optional(),
    ...bounds,
    ...loadCommon,
  })
  .refine(needsBound, boundError);

export type ConstantVusLoad = z.output<typeof ConstantVusSchema>;

export const ConstantVus = {
  name: 'constant-vus',

  plan(load) {
    return {
      durationMs: load.duration,
      iterations: load.iterations,
      maxConcurrency: load.vus,
      ...(load.duration !== undefined
        ? {
            offered: {
              unit: 'vus' as const,
              series: Array.from({ length: Math.ceil(load.duration / 1000) }, (_, s) => ({
                start_s: s,
                value: load.vus,
              })),
            },
          }
        : {}),
    };
  },

  async run(load, ctx, seed) {
    const ended = new AbortController();
    const stop = AbortSignal.any([ctx.stop, ended.signal]);
    // Every VU's think time waits on it: many listeners are expected, not a leak.
    setMaxListeners(0, stop);
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
    const users = Promise.all(mine.map((vu) => activeWhile(ctx, user(vu))));
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
