/**
 * @module load/wait
 * A timer that an abort ends early, without throwing, and the turn of the
 * event loop every closed-model loop waits for between iterations.
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

let turn: Promise<void> | undefined;

/**
 * Resolves in the check phase of this turn of the event loop, after its I/O.
 * A VU loop awaits it between iterations: an iteration that ends without I/O
 * (a flow that throws at once) otherwise resolves in a microtask, and the
 * loop never lets the worker's timers and messages (stop, the deadline) run.
 * One promise per turn, shared by every VU awaiting it.
 */
export function nextTurn(): Promise<void> {
  turn ??= new Promise((resolve) =>
    setImmediate(() => {
      turn = undefined;
      resolve();
    }),
  );
  return turn;
}
