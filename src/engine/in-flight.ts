/**
 * @module engine/in-flight
 * The iterations currently running, so the run can wait for them (graceful
 * stop) and know when none are left.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export class InFlight {
  private readonly running = new Set<Promise<void>>();
  private tracked = 0;

  get size(): number {
    return this.running.size;
  }

  /** Iterations tracked so far, ended or not. */
  get started(): number {
    return this.tracked;
  }

  /** Tracks an iteration until it ends; an unexpected throw is reported, not propagated. */
  track(iteration: Promise<void>): Promise<void> {
    const tracked = iteration.catch((err: unknown) => {
      process.emitWarning(`iteration failed unexpectedly: ${(err as Error)?.stack ?? String(err)}`);
    });
    this.tracked++;
    this.running.add(tracked);
    tracked.finally(() => this.running.delete(tracked));
    return tracked;
  }

  /** Resolves true when all have ended, false when `ms` passed first or `signal` aborted. */
  async settle(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    const deadline = performance.now() + ms;
    while (this.running.size > 0) {
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
      await Promise.race([Promise.all(this.running).then(() => true), timer]);
      done.abort();
    }
    return true;
  }
}
