/**
 * @module load/wait
 * A timer that an abort ends early, without throwing.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves after `ms`, or as soon as `signal` aborts. */
export async function waitFor(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return;
  await sleep(ms, undefined, { signal }).catch(() => undefined);
}

/** Resolves when `work` settles or after `ms` (or on abort), whichever is first; the timer never outlives it. */
export async function within(work: Promise<unknown>, ms: number, signal: AbortSignal): Promise<void> {
  const done = new AbortController();
  const timer = waitFor(ms, AbortSignal.any([signal, done.signal]));
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined,
    ),
    timer,
  ]);
  done.abort();
}
