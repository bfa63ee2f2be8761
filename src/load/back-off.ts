/**
 * @module load/back-off
 * A closed-model VU whose iteration ended in a script error (the test's own
 * code failed: a flow threw, a template could not render) waits before its
 * next one, twice as long for each such iteration in a row, up to a second.
 * A broken script thus costs a few records per VU per second instead of a
 * record per microtask (a 1 s run once wrote 9 GB); an iteration without a
 * script error ends the streak.
 */
import { waitFor } from './wait.js';

/** The first pause (ms); doubled for each failing iteration in a row. */
export const BACK_OFF_FIRST_MS = 10;
/** The longest pause (ms). */
export const BACK_OFF_MAX_MS = 1000;

export class ScriptBackOff {
  /** VUs whose current iteration recorded a script error. */
  readonly #failed = new Set<number>();
  /** Failing iterations in a row, per VU that has any. */
  readonly #streak = new Map<number, number>();

  /** VU `vu`'s iteration recorded a script error. */
  failed(vu: number): void {
    this.#failed.add(vu);
  }

  /** The pause before VU `vu`'s next iteration, or undefined when its last one had no script error. */
  readonly pause = (vu: number, stop: AbortSignal): Promise<void> | undefined => {
    const ms = this.next(vu);
    return ms === undefined ? undefined : waitFor(ms, stop);
  };

  /** How long VU `vu` waits before its next iteration (ms), or undefined for no wait; ends or extends its streak. */
  next(vu: number): number | undefined {
    // The common case (no script error anywhere) costs two reads.
    if (this.#failed.size === 0 && this.#streak.size === 0) return undefined;
    if (!this.#failed.delete(vu)) {
      this.#streak.delete(vu);
      return undefined;
    }
    const n = (this.#streak.get(vu) ?? 0) + 1;
    this.#streak.set(vu, n);
    return backOffMs(n);
  }
}

/** The pause after the `n`-th failing iteration in a row (from 1). */
export function backOffMs(n: number): number {
  return Math.min(BACK_OFF_MAX_MS, BACK_OFF_FIRST_MS * 2 ** Math.min(n - 1, 30));
}
