/**
 * @module engine/thread-priority
 * The load workers' threads come first on a busy CPU. Node runs V8's
 * background work (optimising compiles, GC marking) on a pool of helper
 * threads. In the first seconds of a run the JIT re-optimises the request
 * path for the target's real responses, and the helpers compile on all four
 * threads at once: on a generator pinned to one core the scheduler then gave
 * the worker a fifth of the CPU for 50-100 ms (`perf sched`: four helpers and
 * the worker at 4 ms each per 20 ms), and every stream's chunks waited to be
 * timestamped (client lag 40-55 ms at 250 streams). So once the workers are
 * ready, every other thread of the process but the coordinator's is niced to
 * {@link HELPER_NICENESS}: a helper still runs whenever a worker waits, and
 * gets about a tenth of a busy core beside one. Linux only (thread ids from
 * /proc); elsewhere nothing changes. A thread can always be given a higher
 * nice value, so no privilege is needed.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The nice value given to the process's helper threads (0 is the default, 19 the lowest priority). */
export const HELPER_NICENESS = 10;

/** The calling thread's id in the OS (Linux), or undefined where /proc does not tell. */
export function osThreadId(): number | undefined {
  try {
    // "/proc/thread-self" resolves to "<pid>/task/<tid>" for the thread that reads it.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Nices every thread of this process to {@link HELPER_NICENESS} but the main
 * thread and `keep` (the load workers'). Returns the ids of the threads it
 * changed; best effort: a thread that ended meanwhile or a platform without
 * /proc changes nothing.
 */
export function yieldHelperThreads(keep: readonly number[]): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return [];
  }
  const kept = new Set([process.pid, ...keep]);
  const changed: number[] = [];
  for (const task of tasks) {
    const tid = Number(task);
    if (kept.has(tid)) continue;
    try {
      if (getPriority(tid) < HELPER_NICENESS) {
        setPriority(tid, HELPER_NICENESS);
        changed.push(tid);
      }
    } catch {
      // The thread ended between the listing and now.
    }
  }
  return changed;
}
