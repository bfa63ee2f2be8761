/**
 * @module load/ramping-vus
 * Closed model whose number of virtual users follows stages (linear ramps,
 * k6 semantics, starting from `start_vus`) or a named shape. The VU count
 * over time is planned ahead (`vuTargets`); VU `v` runs iterations back to
 * back while the target is above `v`, finishing its current one when it drops.
 */
import { z } from 'zod';
import { DistributionSchema, ThinkTime } from '../random/index.js';
import { type Executor, type ExecutorEntry, localCounter, WHOLE } from './executor.js';
import { durationCap, loadCommon, nonNegativeNumber } from './load-fields.js';
import { planSeries, vuTargets } from './rate-profile.js';
import { endOf, oneOfStagesOrShape, stagedFields, stagedSchedule, stageSpans } from './staged.js';
import { betweenIterations } from './users.js';
import { waitFor, within } from './wait.js';

export const RampingVusSchema = z
  .strictObject({
    executor: z.literal('ramping-vus'),
    /** VUs at the start (the first stage ramps from it); a shape sets its own. */
    start_vus: nonNegativeNumber().default(0),
    ...stagedFields,
    /** Pause after each iteration, in milliseconds (a number or a distribution). */
    think_time: DistributionSchema.optional(),
    ...durationCap,
    ...loadCommon,
  })
  .refine(...oneOfStagesOrShape);

export type RampingVusLoad = z.output<typeof RampingVusSchema>;

export function rampingVusSchedule(load: RampingVusLoad) {
  return stagedSchedule(load, load.start_vus);
}

/** When each VU is active: `[fromMs, toMs)` intervals, from the planned VU count over time. */
export function activeIntervals(
  targets: readonly { atMs: number; vus: number }[],
  endMs: number,
  vu: number,
) {
  const out: { fromMs: number; toMs: number }[] = [];
  let from: number | undefined;
  for (const t of targets) {
    if (t.atMs >= endMs) break;
    if (t.vus > vu && from === undefined) from = t.atMs;
    else if (t.vus <= vu && from !== undefined) {
      out.push({ fromMs: from, toMs: t.atMs });
      from = undefined;
    }
  }
  if (from !== undefined && from < endMs) out.push({ fromMs: from, toMs: endMs });
  return out;
}

export const RampingVus = {
  name: 'ramping-vus',

  plan(load) {
    const { profile, stages } = rampingVusSchedule(load);
    const targets = vuTargets(profile);
    return {
      durationMs: endOf(profile),
      iterations: undefined,
      maxConcurrency: Math.max(0, ...targets.map((t) => t.vus)),
      stages: stageSpans(stages),
      offered: { unit: 'vus' as const, series: planSeries(profile) },
    };
  },

  async run(load, ctx, seed) {
    const { profile } = rampingVusSchedule(load);
    const end = endOf(profile);
    const targets = vuTargets(profile);
    const most = Math.max(0, ...targets.map((t) => t.vus));
    const segment = ctx.segment ?? WHOLE;
    const claim = ctx.claimIteration ?? localCounter();
    const start = ctx.clock();
    // Set when run returns: a timer may fire before the clock reads the end, and no VU may start after it.
    let ended = false;

    const user = async (vu: number): Promise<void> => {
      const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
      for (const interval of activeIntervals(targets, end, vu)) {
        await waitFor(start + interval.fromMs - ctx.clock(), ctx.stop);
        if (ctx.stop.aborted || ended) return;
        ctx.vuActive?.(1);
        while (!ctx.stop.aborted && !ended && ctx.clock() - start < interval.toMs) {
          await ctx.runIteration(vu, claim(), ctx.clock());
          await betweenIterations(ctx, vu, ctx.stop);
          if (think !== undefined) await think.pause(ctx.stop);
        }
        ctx.vuActive?.(-1);
      }
    };
    const mine: number[] = [];
    for (let vu = segment.index; vu < most; vu += segment.count) mine.push(vu);
    // Resolves at the end of the plan; an iteration still running belongs to the graceful stop.
    const users = Promise.all(mine.map((vu) => user(vu)));
    await within(users, start + end - ctx.clock(), ctx.stop);
    ended = true;
  },
} satisfies Executor<RampingVusLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const rampingVusEntry: ExecutorEntry<typeof RampingVusSchema> = {
  name: 'ramping-vus',
  schema: RampingVusSchema,
  executor: () => RampingVus,
};
