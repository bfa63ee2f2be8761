/**
 * @module load/trace
 * Trace replay (open model): arrivals at the times of a recorded trace
 * (Azure's LLM inference trace, Mooncake's, your own logs), sped up or
 * slowed down uniformly (`speed`, or a target mean `rate`) so the shape of
 * its bursts and gaps is kept. Each arrival hands its row to the workload as
 * `data.trace` (`trace.input_tokens`, `trace.output_tokens`, other fields).
 */
import { z } from 'zod';
import { runArrivals, vuPool } from './arrival-runner.js';
import type { Executor, ExecutorEntry, IterationData } from './executor.js';
import { durationCap, durationMs, loadCommon, maxVus, positiveInt, positiveNumber } from './load-fields.js';
import { loadTrace, type Trace } from './trace-file.js';
import { waitFor } from './wait.js';

export const TraceSchema = z
  .strictObject({
    executor: z.literal('trace'),
    /** JSONL or CSV trace, relative to the test file. */
    file: z.string({ error: 'expected the path of a JSONL or CSV trace' }).min(1),
    /** Default: by extension (`.csv` is CSV, anything else JSONL). */
    format: z.enum(['csv', 'jsonl']).optional(),
    /** Replay this many times faster (gaps divided by it). */
    speed: positiveNumber().optional(),
    /** Or: scale time so the mean rate is this many arrivals per second. */
    rate: positiveNumber().optional(),
    /** Skip this much of the trace (in trace time) before replaying. */
    offset: durationMs({ allowZero: true }).default(0),
    /** At most this many arrivals. */
    iterations: positiveInt().optional(),
    max_vus: maxVus,
    ...durationCap,
    ...loadCommon,
  })
  .refine((l) => l.speed === undefined || l.rate === undefined, {
    message: 'expected speed or rate, not both',
    path: ['rate'],
  });

export type TraceLoad = z.output<typeof TraceSchema>;

/** A loaded trace cut and scaled for replay: arrival times (ms from the start) and each arrival's data. */
export interface TracePlan {
  times: Float64Array;
  data: IterationData[];
  /** Time of the end of the replay (the last arrival, or the duration cap). */
  endMs: number;
  /** The speed-up applied (1 = real time). */
  speed: number;
}

/** Applies offset, speed or rate, the duration cap and the iteration cap. Pure. */
export function tracePlan(trace: Trace, load: TraceLoad): TracePlan {
  const from = trace.offsets.findIndex((t) => t >= load.offset);
  const first = from === -1 ? trace.offsets.length : from;
  const kept = trace.offsets.subarray(first);
  const base = kept[0] ?? 0;
  const spanMs = (kept[kept.length - 1] ?? 0) - base;
  // Mean rate of the kept slice: (n − 1) gaps over its span.
  const traceRate = spanMs > 0 ? ((kept.length - 1) * 1000) / spanMs : undefined;
  const speed =
    load.rate !== undefined && traceRate !== undefined ? load.rate / traceRate : (load.speed ?? 1);
  const limit = Math.min(kept.length, load.iterations ?? Number.POSITIVE_INFINITY);
  const times: number[] = [];
  for (let i = 0; i < limit; i++) {
    const t = ((kept[i] as number) - base) / speed;
    if (load.duration !== undefined && t >= load.duration) break;
    times.push(t);
  }
  const data = times.map((_, i) => ({ trace: trace.rows[first + i] as Record<string, unknown> }));
  const last = times[times.length - 1] ?? 0;
  return { times: Float64Array.from(times), data, endMs: load.duration ?? last, speed };
}

/** The trace executor bound to its loaded trace (read once, before the run). */
export function traceExecutor(trace: Trace) {
  // The plan of the last load asked for: `plan` runs before the start barrier, `run` after it reuses it.
  let last: { load: TraceLoad; plan: ReturnType<typeof tracePlan> } | undefined;
  const planOf = (load: TraceLoad) => {
    if (last?.load !== load) last = { load, plan: tracePlan(trace, load) };
    return last.plan;
  };
  return {
    name: 'trace',

    plan(load) {
      const plan = planOf(load);
      const seconds = Math.ceil(plan.endMs / 1000);
      const series = Array.from({ length: seconds }, (_, s) => ({ start_s: s, value: 0 }));
      for (const t of plan.times) {
        const point = series[Math.floor(t / 1000)];
        if (point !== undefined) point.value++;
      }
      return {
        durationMs: plan.endMs,
        iterations: plan.times.length,
        maxConcurrency: load.max_vus,
        offered: { unit: 'iterations_per_s' as const, series },
      };
    },

    async run(load, ctx) {
      const plan = planOf(load);
      const start = ctx.clock();
      await runArrivals(ctx, {
        times: plan.times,
        startMs: start,
        free: vuPool(load.max_vus, ctx.segment),
        data: (i) => plan.data[i],
      });
      await waitFor(start + plan.endMs - ctx.clock(), ctx.stop);
    },
  } satisfies Executor<TraceLoad>;
}

/** Reads the load's trace file. */
export function readTrace(load: TraceLoad): Trace {
  return loadTrace(load.file, load.format);
}

/** Its entry in the executor list (load/executors.ts). */
export const traceEntry: ExecutorEntry<typeof TraceSchema> = {
  name: 'trace',
  schema: TraceSchema,
  executor: (load) => traceExecutor(readTrace(load)),
};
