/**
 * @module load/per-vu-iterations
 * Fixed work, closed model: each of `vus` users runs exactly `iterations`
 * iterations back to back (k6's per-vu-iterations), within an optional `duration` cap.
 */
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
import type { Executor, ExecutorEntry } from './executor.js';
import { durationCap, loadCommon, positiveInt } from './load-fields.js';
import { betweenIterations, runUsers, thinkTimeOf } from './users.js';

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
    await runUsers(ctx, load.vus, load.duration, async (vu, stop) => {
      const think = thinkTimeOf(load.think_time, seed, vu);
      for (let k = 0; k < load.iterations && !stop.aborted; k++) {
        // Numbered by VU, so a run's iterations are the same whichever worker runs them.
        await ctx.runIteration(vu, vu * load.iterations + k, ctx.clock());
        await betweenIterations(ctx, vu, stop);
        if (think !== undefined && k + 1 < load.iterations) await think.pause(stop);
      }
    });
  },
} satisfies Executor<PerVuIterationsLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const perVuIterationsEntry: ExecutorEntry<typeof PerVuIterationsSchema> = {
  name: 'per-vu-iterations',
  schema: PerVuIterationsSchema,
  executor: () => PerVuIterations,
};
