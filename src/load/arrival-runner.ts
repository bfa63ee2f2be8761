/**
 * @module load/arrival-runner
 * Starts precomputed arrivals at their times (open models): whatever the
 * target's latency, an arrival finding every VU of its segment busy is
 * dropped and counted, never queued or delayed (no coordinated omission);
 * an aborted stop ends it at once, however far off the next arrival is.
 */
import type { ExecutorContext, IterationData, Segment } from './executor.js';
import { WHOLE } from './executor.js';

/**
 * How long before an arrival the timer wakes to finish the wait precisely.
 * A timer now and then fires 2-4 ms late on a busy 2-core machine; waking 4 ms
 * early took trace replay's gap error p99 at 200/s from 2.2 to 0.9 ms; the
 * polling costs about two thirds of a core at that rate (docs/load.md).
 */
const EARLY_WAKE_MS = 4;
/**
 * Most arrivals started in one turn of the event loop. After a stall many are
 * due at once; starting them all before reading any response needs a new
 * connection for each, which makes the next turn later still (a spiral that
 * dropped thousands of arrivals at 10,000/s). Between batches, finished
 * requests free their connections for the next ones.
 */
const MAX_STARTS_PER_TURN = 32;

/** The free VU ids of a segment (`v % count === index`), on a stack. */
export function vuPool(maxVus: number, segment: Segment = WHOLE): number[] {
  const free: number[] = [];
  for (let v = maxVus - 1; v >= 0; v--) if (v % segment.count === segment.index) free.push(v);
  return free;
}

export interface ArrivalRun {
  /** Arrival times, ms from `startMs`, ascending. */
  times: Float64Array;
  /** Run-clock time of offset 0. */
  startMs: number;
  /** Free VU ids, shared by consecutive runs (a sweep's steps). */
  free: number[];
  /** Iteration number of arrival 0 (arrival `i` is iteration `iterationBase + i`). */
  iterationBase?: number;
  /** Per-arrival data handed to the workload (trace fields). */
  data?: ((i: number) => IterationData | undefined) | undefined;
  /** Receives each started iteration's promise (a sweep waits for its step's). */
  track?: ((iteration: Promise<void>) => void) | undefined;
}

/** Starts this segment's arrivals (`i % count === index`); resolves after the last one started. */
export function runArrivals(
  ctx: ExecutorContext,
  run: ArrivalRun,
): Promise<{ started: number; dropped: number }> {
  const segment = ctx.segment ?? WHOLE;
  const { times, startMs, free } = run;
  const base = run.iterationBase ?? 0;
  let next = segment.index;
  let started = 0;
  let dropped = 0;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    // The stop ends the wait for the next arrival, however far off it is (a slow trace, a low rate).
    const finish = (): void => {
      clearTimeout(timer);
      ctx.stop.removeEventListener('abort', finish);
      resolve({ started, dropped });
    };
    ctx.stop.addEventListener('abort', finish, { once: true });
    const tick = (): void => {
      if (ctx.stop.aborted) {
        finish();
        return;
      }
      const now = ctx.clock() - startMs;
      // Start the arrivals that are due; a late timer shows as scheduling lag, never as a shifted plan.
      let budget = MAX_STARTS_PER_TURN;
      while (next < times.length && (times[next] as number) <= now && budget-- > 0) {
        const scheduled = startMs + (times[next] as number);
        const vu = free.pop();
        if (vu === undefined) {
          ctx.dropped(scheduled);
          dropped++;
        } else {
          const data = run.data?.(next);
          const iteration =
            data === undefined
              ? ctx.runIteration(vu, base + next, scheduled)
              : ctx.runIteration(vu, base + next, scheduled, data);
          started++;
          const done = iteration.finally(() => free.push(vu));
          run.track?.(done);
        }
        next += segment.count;
      }
      if (next >= times.length) {
        finish();
        return;
      }
      // Timers fire late, by 1-2 ms and now and then more on a busy machine: wake early and
      // finish the wait on setImmediate (I/O keeps flowing between turns), so an arrival
      // leaves within a fraction of a millisecond of its time.
      const delay = startMs + (times[next] as number) - ctx.clock();
      if (delay > EARLY_WAKE_MS + 1) timer = setTimeout(tick, Math.floor(delay) - EARLY_WAKE_MS);
      else setImmediate(tick);
    };
    tick();
  });
}
