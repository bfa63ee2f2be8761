/**
 * @module engine/in-flight
 * The iterations currently running, so the run can wait for them (graceful
 * stop) and know when none are left. A count, not a set of promises: every
 * iteration passes through `track`, and a set plus `catch` and `finally`
 * cost three promises and two closures per iteration of a fast loop.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { redactText } from '../store/index.js';

export class InFlight {
  private running = 0;
  private tracked = 0;
  /** Who waits for the count to reach 0. */
  private waiters: (() => void)[] = [];

  private readonly ended = (): void => {
    if (--this.running > 0 || this.waiters.length === 0) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  };

  private readonly failed = (err: unknown): void => {
    process.emitWarning(redactText(`iteration failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`));
    this.ended();
  };

  get size(): number {
    return this.running;
  }

  /** Iterations tracked so far, ended or not. */
  get started(): number {
    return this.tracked;
  }

  /** Tracks an iteration until it ends; an unexpected throw is reported, not propagated. */
  track(iteration: Promise<unknown>): Promise<void> {
    this.tracked++;
    this.running++;
    return iteration.then(this.ended, this.failed);
  }

  /** Resolves true when all have ended, false when `ms` passed first or `signal` aborted. */
  async settle(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.running > 0) {
      const left = deadline - performance.now();
      if (left <= 0 || signal?.aborted) return false;
      // The timer is cancelled as soon as the iterations end, so it never holds the process open.
      const done = new AbortController();
      const signals = signal ? AbortSignal.any([signal, done.signal]) : done.signal;
      const timer = Number.isFinite(left)
        ? sleep(left, false, { signal: signals }).catch(() => false)
        : new Promise<boolean>((resolve) =>
            signals.addEventListener('abort', () => resolve(false), { once: true }),
          );
      const none = new Promise<boolean>((resolve) => this.waiters.push(() => resolve(true)));
      await Promise.race([none, timer]);
      done.abort();
    }
    return true;
  }
}
