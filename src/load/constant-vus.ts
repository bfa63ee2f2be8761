/**
 * @module load/constant-vus
 * Closed model: N virtual users each run iterations back to back (with an
 * optional think time), for a duration and/or a total number of iterations.
 */
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
import type { Executor, ExecutorContext, ExecutorEntry } from './executor.js';
import { boundError, bounds, loadCommon, needsBound, positiveInt } from './load-fields.js';
import { claimingLoop, runUsers } from './users.js';

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
    // Bounded by iterations, by time, or both: whichever comes first.
    const loop = claimingLoop(ctx, load.iterations ?? Number.POSITIVE_INFINITY, load.think_time, seed);
    await runUsers(ctx, load.vus, load.duration, loop);
  },
} satisfies Executor<ConstantVusLoad>;

export type { ExecutorContext };

/** Its entry in the executor list (load/executors.ts). */
export const constantVusEntry: ExecutorEntry<typeof ConstantVusSchema> = {
  name: 'constant-vus',
  schema: ConstantVusSchema,
  executor: () => ConstantVus,
};
