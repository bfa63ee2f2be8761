/**
 * @module load/shared-iterations
 * Fixed work, closed model: `vus` users share a pool of `iterations`, each
 * taking the next one as soon as it is free (k6's shared-iterations), within
 * an optional `duration` cap. The pool is run-wide across workers.
 */
import { z } from 'zod';
import { DistributionSchema } from '../random/index.js';
import type { Executor, ExecutorEntry } from './executor.js';
import { durationCap, loadCommon, positiveInt } from './load-fields.js';
import { claimingLoop, runUsers } from './users.js';

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
    await runUsers(ctx, load.vus, load.duration, claimingLoop(ctx, load.iterations, load.think_time, seed));
  },
} satisfies Executor<SharedIterationsLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const sharedIterationsEntry: ExecutorEntry<typeof SharedIterationsSchema> = {
  name: 'shared-iterations',
  schema: SharedIterationsSchema,
  executor: () => SharedIterations,
};
