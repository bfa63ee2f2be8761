/**
 * @module engine/thread-priority
 * The load workers' threads come first on a busy CPU: once the workers are
 * ready, every other thread of the process but the coordinator's (V8's
 * compile and GC helpers) is niced to {@link HELPER_NICENESS}, so a helper
 * runs whenever a worker waits. Why: helpers compiling at the start of a run
 * delayed the workers' timestamps by tens of ms (docs/design/2026-12-07-worker-headers.md).
 * Linux only (thread ids from /proc); elsewhere nothing changes. Raising a
 * thread's nice value needs no privilege.
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
