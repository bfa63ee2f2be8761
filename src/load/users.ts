/**
 * @module load/users
 * What closed models share: this segment's virtual users, each running its own
 * loop, counted as active while the loop runs, and stopped from starting more
 * iterations at an optional deadline (in-flight ones are the engine's graceful
 * stop).
 */
import { setMaxListeners } from 'node:events';
import { type Distribution, ThinkTime } from '../random/index.js';
import { type ExecutorContext, localCounter, WHOLE } from './executor.js';
import { nextTurn, within } from './wait.js';

/** One VU's loop; it must return once `stop` aborts. */
export type UserLoop = (vu: number, stop: AbortSignal) => Promise<void>;

/**
 * Runs VUs `0..vus-1` of this segment (VU `v` belongs to segment `v % count`)
 * until their loops end or, with `durationMs`, until the deadline.
 */
export async function runUsers(
  ctx: ExecutorContext,
  vus: number,
  durationMs: number | undefined,
  loop: UserLoop,
): Promise<void> {
  const segment = ctx.segment ?? WHOLE;
  const ended = new AbortController();
  const stop = AbortSignal.any([ctx.stop, ended.signal]);
  // Every VU's think time waits on it: many listeners are expected, not a leak.
  setMaxListeners(0, stop);
  const running: Promise<void>[] = [];
  for (let vu = segment.index; vu < vus; vu += segment.count) running.push(active(ctx, loop(vu, stop)));
  const users = Promise.all(running);
  if (durationMs === undefined) await users;
  else await within(users, durationMs, stop);
  ended.abort();
}

/**
 * What a VU waits for between two iterations: its back-off after a script
 * error, else the next turn of the event loop, so a loop of iterations that
 * never wait on I/O still lets timers and messages (stop, deadline) run.
 */
export function betweenIterations(ctx: ExecutorContext, vu: number, stop: AbortSignal): Promise<void> {
  return ctx.backOff?.(vu, stop) ?? nextTurn();
}

/** Marks a VU active until its loop ends, however it ends. */
async function active(ctx: ExecutorContext, loop: Promise<void>): Promise<void> {
  ctx.vuActive?.(1);
  try {
    await loop;
  } finally {
    ctx.vuActive?.(-1);
  }
}

/** The VU's think time, or undefined when the load has none. */
export function thinkTimeOf(
  thinkTime: Distribution | undefined,
  seed: number,
  vu: number,
): ThinkTime | undefined {
  return thinkTime === undefined ? undefined : new ThinkTime(thinkTime, seed, vu);
}

/**
 * A loop taking run-wide iteration numbers until `limit` is reached (shared
 * across VUs and workers), pausing for the think time after each.
 */
export function claimingLoop(
  ctx: ExecutorContext,
  limit: number,
  thinkTime: Distribution | undefined,
  seed: number,
): UserLoop {
  const claim = ctx.claimIteration ?? localCounter();
  return async (vu, stop) => {
    const think = thinkTimeOf(thinkTime, seed, vu);
    while (!stop.aborted) {
      const iteration = claim();
      if (iteration >= limit) return;
      await ctx.runIteration(vu, iteration, ctx.clock());
      await betweenIterations(ctx, vu, stop);
      if (think !== undefined) await think.pause(stop);
    }
  };
}
