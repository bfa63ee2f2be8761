/**
 * @module load/sweep
 * Capacity sweep: steps of constant load (arrival rate, or VUs), each a
 * labelled stage with a warm-up that is left out of its measurement, chosen
 * by `nextSweepStep` from the measured verdicts of the steps before. Between
 * steps the in-flight requests drain, so each step starts from an idle system
 * and every one is reported as measured: load is never lowered to look stable.
 * The sweep decides from measurements, so it runs in one segment.
 */
import { z } from 'zod';
import { DEFAULT_ATTAINMENT, stepVerdict } from '../metrics/index.js';
import { DistributionSchema, deriveSeed, ThinkTime } from '../random/index.js';
import { ArrivalSchema } from './arrival-process.js';
import { runArrivals, vuPool } from './arrival-runner.js';
import { type Executor, type ExecutorContext, type ExecutorEntry, localCounter, WHOLE } from './executor.js';
import { durationCap, durationMs, loadCommon, maxVus, positiveNumber } from './load-fields.js';
import { arrivalTimes } from './rate-profile.js';
import { nextSweepStep, type SweepResult } from './sweep-search.js';
import { betweenIterations } from './users.js';
import { waitFor, within } from './wait.js';

export const SweepSchema = z
  .strictObject({
    executor: z.literal('sweep'),
    /** What is stepped: the arrival rate (open model) or the number of VUs (closed). */
    mode: z.enum(['rate', 'vus']).default('rate'),
    /** First load: arrivals/s or VUs. */
    start: positiveNumber(),
    /** Highest load to try. */
    max: positiveNumber(),
    /** Coarse pass: each step is the last × factor. */
    factor: z.number().gt(1, { error: 'expected a factor above 1' }).default(2),
    /** Refining (bisection) steps after the first failing step. */
    refine: z.number().int().nonnegative().default(3),
    /** Measured length of each step. */
    step_duration: durationMs().default(20_000),
    /** Left out of each step's measurement, before it. */
    warmup: durationMs({ allowZero: true }).default(5_000),
    /** Longest wait for a step's requests to end before the next step. */
    drain_timeout: durationMs({ allowZero: true }).default(30_000),
    /** Share of a step's requests that must meet the SLOs (`slo`) for it to pass. */
    attainment: z.number().gt(0).max(1).default(DEFAULT_ATTAINMENT),
    arrival: ArrivalSchema,
    max_vus: maxVus,
    /** VU mode: pause after each iteration. */
    think_time: DistributionSchema.optional(),
    ...durationCap,
    ...loadCommon,
  })
  .refine((l) => l.max >= l.start, { message: 'expected max >= start', path: ['max'] });

export type SweepLoad = z.output<typeof SweepSchema>;

function label(step: number, phase: string, offered: number, mode: 'rate' | 'vus'): string {
  return `sweep ${step} (${phase}): ${offered}${mode === 'rate' ? '/s' : ' VUs'}`;
}

async function closedStep(
  ctx: ExecutorContext,
  load: SweepLoad,
  vus: number,
  endMs: number,
  seed: number,
  track: (p: Promise<void>) => void,
  claim: () => number,
): Promise<void> {
  const user = async (vu: number): Promise<void> => {
    const think = load.think_time === undefined ? undefined : new ThinkTime(load.think_time, seed, vu);
    while (!ctx.stop.aborted && ctx.clock() < endMs) {
      const iteration = ctx.runIteration(vu, claim(), ctx.clock());
      track(iteration);
      await iteration;
      await betweenIterations(ctx, vu, ctx.stop);
      if (think !== undefined) await think.pause(ctx.stop);
    }
  };
  await Promise.all(Array.from({ length: vus }, (_, vu) => user(vu)));
}

export const Sweep = {
  name: 'sweep',

  plan(load) {
    return {
      durationMs: load.duration,
      iterations: undefined,
      maxConcurrency: load.max_vus,
      singleSegment: true,
    };
  },

  async run(load, ctx, seed) {
    if ((ctx.segment ?? WHOLE).index !== 0) return;
    const search = { ...load, integer: load.mode === 'vus' };
    const results: SweepResult[] = [];
    const free = vuPool(load.max_vus);
    const claim = ctx.claimIteration ?? localCounter();
    const begin = ctx.clock();
    const capEnd = load.duration === undefined ? Number.POSITIVE_INFINITY : begin + load.duration;
    let base = 0;
    for (let n = 1; !ctx.stop.aborted; n++) {
      const step = nextSweepStep(search, results);
      const t0 = ctx.clock();
      if (step === undefined || t0 >= capEnd) break;
      // A duration cap shortens the last step (warm-up and measurement alike) instead of skipping it.
      const fit = Math.min(1, (capEnd - t0) / (load.warmup + load.step_duration));
      const warmEnd = t0 + load.warmup * fit;
      const end = warmEnd + load.step_duration * fit;
      const name = label(n, step.phase, step.offered, load.mode);
      if (warmEnd > t0)
        ctx.stage?.({
          name: `${name} warm-up`,
          startMs: t0,
          endMs: warmEnd,
          target: step.offered,
          warmup: true,
        });
      ctx.stage?.({ name, startMs: warmEnd, endMs: end, target: step.offered });
      const pending: Promise<void>[] = [];
      const track = (p: Promise<void>) => pending.push(p);
      if (load.mode === 'rate') {
        const times = arrivalTimes(
          [
            { atMs: 0, value: step.offered },
            { atMs: end - t0, value: step.offered },
          ],
          load.arrival,
          deriveSeed(seed, n),
        );
        // This segment runs the whole sweep: every arrival, not one segment's share of them.
        await runArrivals(
          { ...ctx, segment: WHOLE },
          { times, startMs: t0, free, iterationBase: base, track },
        );
        base += times.length;
        await waitFor(end - ctx.clock(), ctx.stop);
      } else {
        await closedStep(ctx, load, step.offered, end, seed, track, claim);
      }
      // Drain: the next step starts from an idle system, and this one is measured whole.
      await within(Promise.all(pending), load.drain_timeout, ctx.stop);
      const measured = ctx.measure?.(warmEnd, end);
      if (measured === undefined) break;
      results.push({ offered: step.offered, passed: stepVerdict(measured, load.attainment).passed });
    }
  },
} satisfies Executor<SweepLoad>;

/** Its entry in the executor list (load/executors.ts). */
export const sweepEntry: ExecutorEntry<typeof SweepSchema> = {
  name: 'sweep',
  schema: SweepSchema,
  executor: () => Sweep,
};
