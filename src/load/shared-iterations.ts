/**
 * @module load/shared-iterations
 * Fixed work, closed model: `vus` users share a pool of `iterations`, each
 * taking the next one as soon as it is free (k6's shared-iterations), within
 * an optional `duration` cap. The pool is run-wide across workers.
 */
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
// The file, not workload/index: the workload imports config, which imports these schemas (a cycle).
import { ThinkTime } from '../workload/think-time.js';
import { activeWhile } from './active.js';
import { type Executor, localCounter, WHOLE } from './executor.js';
import { durationCap, loadCommon, positiveInt } from './load-fields.js';
import { within } from './wait.js';

export const SharedIterationsSchema = z.strictObject({
  executor: z.literal('shared-iterations'),
  vus: positiveInt(),
  /** Total iterations, shared by all VUs. */
  iterations: positiveInt(),
  think_time: DistributionSchema.optional(),
  ...durationCap,
  ...loadCommon,
});

export type SharedIterationsLoad = z.output<typeof SharedIterationsSchema>;

export const SharedIterations = {
  name: 'shared-iterations',

  plan(load) {
    return {
      durationMs: load.duration,
      iterations: load.iterations,
      maxConcurrency: Math.min(load.vus, load.iterations),
    };
  },

  async run(load, ctx, seed) {
    const segment = ctx.segment ?? WHOLE;
    const claim = ctx.claimIteration ?? localCounter();
    const ended = new AbortController();
    const stop = AbortSignal.any([ctx.stop, ended.signal]);
    // Every VU's think time waits on it: many listeners are expected, not a leak.
    setMaxListeners(0, stop);
    const user = async (vu: number): Promise<void> => {
      const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
      while (!stop.aborted) {
        const iteration = claim();
        if (iteration >= load.iterations) return;
        await ctx.runIteration(vu, iteration, ctx.clock());
        if (think !== undefined) await think.pause(stop);
      }
    };
    const mine: number[] = [];
    for (let vu = segment.index; vu < load.vus; vu += segment.count) mine.push(vu);
    const users = Promise.all(mine.map((vu) => activeWhile(ctx, user(vu))));
    if (load.duration === undefined) await users;
    else await within(users, load.duration, stop);
    ended.abort();
  },
} satisfies Executor<SharedIterationsLoad>;
