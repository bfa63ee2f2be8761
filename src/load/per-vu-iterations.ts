/**
 * @module load/per-vu-iterations
 * Fixed work, closed model: each of `vus` users runs exactly `iterations`
 * iterations back to back (k6's per-vu-iterations), within an optional `duration` cap.
 */
import { setMaxListeners } from 'node:events';
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
// The file, not workload/index: the workload imports config, which imports these schemas (a cycle).
import { ThinkTime } from '../workload/think-time.js';
import { activeWhile } from './active.js';
import { type Executor, WHOLE } from './executor.js';
import { durationCap, loadCommon, positiveInt } from './load-fields.js';
import { within } from './wait.js';

export const PerVuIterationsSchema = z.strictObject({
  executor: z.literal('per-vu-iterations'),
  vus: positiveInt(),
  /** Iterations each VU runs. */
  iterations: positiveInt(),
  think_time: DistributionSchema.optional(),
  ...durationCap,
  ...loadCommon,
});

export type PerVuIterationsLoad = z.output<typeof PerVuIterationsSchema>;

export const PerVuIterations = {
  name: 'per-vu-iterations',

  plan(load) {
    return { durationMs: load.duration, iterations: load.vus * load.iterations, maxConcurrency: load.vus };
  },

  async run(load, ctx, seed) {
    const segment = ctx.segment ?? WHOLE;
    const ended = new AbortController();
    const stop = AbortSignal.any([ctx.stop, ended.signal]);
    // Every VU's think time waits on it: many listeners are expected, not a leak.
    setMaxListeners(0, stop);
    const user = async (vu: number): Promise<void> => {
      const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
      for (let k = 0; k < load.iterations && !stop.aborted; k++) {
        // Numbered by VU, so a run's iterations are the same whichever worker runs them.
        await ctx.runIteration(vu, vu * load.iterations + k, ctx.clock());
        if (think !== undefined && k + 1 < load.iterations) await think.pause(stop);
      }
    };
    const mine: number[] = [];
    for (let vu = segment.index; vu < load.vus; vu += segment.count) mine.push(vu);
    const users = Promise.all(mine.map((vu) => activeWhile(ctx, user(vu))));
    if (load.duration === undefined) await users;
    else await within(users, load.duration, stop);
    ended.abort();
  },
} satisfies Executor<PerVuIterationsLoad>;
