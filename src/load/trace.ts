/**
 * @module load/trace
 * Trace replay (open model): arrivals at the times of a recorded trace
 * (Azure's LLM inference trace, Mooncake's, your own logs), sped up or
 * slowed down uniformly (`speed`, or a target mean `rate`) so the shape of
 * its bursts and gaps is kept. Each arrival hands its row to the workload as
 * `data.trace` (`trace.input_tokens`, `trace.output_tokens`, other fields).
 */
import { z } from 'zod';
import { ConfigError, MAX_DURATION_MS } from '../core/index.js';
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

/** The speed at which the slice `kept[0..n)` has a mean rate of `rate`: (n − 1) gaps over its span. */
function speedFor(kept: Float64Array, n: number, rate: number): number | undefined {
  const spanMs = (kept[n - 1] ?? 0) - (kept[0] ?? 0);
  return n > 1 && spanMs > 0 ? rate / (((n - 1) * 1000) / spanMs) : undefined;
}

/**
 * The speed for a target `rate` over the slice that will actually run, not the whole rest of the trace:
 * the first `iterations` arrivals, or, under a duration cap, the arrivals that fit in it — `rate × duration`
 * of them, scaled so the next one falls just at the cap.
 */
function rateSpeed(kept: Float64Array, load: TraceLoad, rate: number): number | undefined {
  const limit = Math.min(kept.length, load.iterations ?? Number.POSITIVE_INFINITY);
  if (load.duration !== undefined) {
    const fit = Math.round((rate * load.duration) / 1000);
    const next = kept[fit];
    // Arrival index `fit` lands at exactly the cap (excluded), so `fit` arrivals run in [0, duration).
    if (fit >= 1 && fit < limit && next !== undefined && next > (kept[0] ?? 0)) {
      return (next - (kept[0] ?? 0)) / load.duration;
    }
  }
  return speedFor(kept, limit, rate);
}

/** Applies offset, speed or rate, the duration cap and the iteration cap. Pure. */
export function tracePlan(trace: Trace, load: TraceLoad): TracePlan {
  const from = trace.offsets.findIndex((t) => t >= load.offset);
  const first = from === -1 ? trace.offsets.length : from;
  const kept = trace.offsets.subarray(first);
  const base = kept[0] ?? 0;
  const speed = (load.rate !== undefined ? rateSpeed(kept, load, load.rate) : undefined) ?? load.speed ?? 1;
  const limit = Math.min(kept.length, load.iterations ?? Number.POSITIVE_INFINITY);
  const times: number[] = [];
  for (let i = 0; i < limit; i++) {
    const t = ((kept[i] as number) - base) / speed;
    if (load.duration !== undefined && t >= load.duration) break;
    times.push(t);
  }
  const last = times[times.length - 1] ?? 0;
  if (load.duration === undefined && last > MAX_DURATION_MS) {
    throw new ConfigError(
      `load.${load.rate !== undefined ? 'rate' : 'speed'}: the replay would last ${(last / 86_400_000).toPrecision(3)} days; expected at most 24 days (raise it, or set load.duration)`,
    );
  }
  const data = times.map((_, i) => ({ trace: trace.rows[first + i] as Record<string, unknown> }));
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
