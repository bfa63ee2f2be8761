/**
 * @module engine/run-end
 * How a run ends, whatever its workers do: the stop (first interrupt, an
 * abortOnFail threshold) and the cancel (second interrupt) sent to them, the
 * deadlines after which a worker that has not ended is terminated (its event
 * loop may never run again, e.g. a flow spinning synchronously), and what
 * run.json's `aborted` and `ended` say of it. Why apart: the earliest of
 * several deadlines wins, which is easier to check in one place.
 */
import { performance } from 'node:perf_hooks';
import type { RunInfo } from '../store/index.js';
import type { WorkerPool } from './worker-pool.js';

/**
 * What a worker gets beyond the graceful stop to end its load and report
 * (closing connections, shipping its last records) before the coordinator
 * terminates it: after a stop, after a second interrupt, and past the deadline.
 */
export const STOP_MARGIN_MS = 5000;

/** Seconds for a message: `1.4`. */
export function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}`;
}

export interface RunStopsOptions {
  /** Aborting it stops new iterations (first Ctrl-C). */
  stop: AbortSignal | undefined;
  /** Aborting it cancels in-flight requests at once (second Ctrl-C). */
  cancel: AbortSignal | undefined;
  /** The test's `load.graceful_stop` (ms). */
  gracefulStopMs: number;
  /** The run clock's 0 (epoch ms). */
  origin: () => number;
}

/**
 * The stops of a run whose workers are ready: listens on the interrupts from
 * construction until `dispose()`. Workers that have not ended by a deadline
 * are terminated; the earliest deadline armed wins.
 */
export class RunStops {
  readonly #pool: WorkerPool;
  readonly #o: RunStopsOptions;
  /** The graceful stop plus STOP_MARGIN_MS. */
  readonly graceMs: number;
  /** Workers terminated because they did not stop in time. */
  readonly terminated: number[] = [];
  /** When (run clock, ms) workers were terminated: the run lasted at least that long. */
  readonly stoppedAt: number[] = [];
  /** Why workers were terminated, a sentence each time. */
  readonly why: string[] = [];
  #killTimer: NodeJS.Timeout | undefined;
  #killAt = Number.POSITIVE_INFINITY;

  constructor(pool: WorkerPool, options: RunStopsOptions) {
    this.#pool = pool;
    this.#o = options;
    this.graceMs = options.gracefulStopMs + STOP_MARGIN_MS;
    options.stop?.addEventListener('abort', this.#onStop, { once: true });
    options.cancel?.addEventListener('abort', this.#onCancel, { once: true });
    // An interrupt while the workers were loading must still reach them.
    if (options.stop?.aborted) this.#onStop();
    if (options.cancel?.aborted) this.#onCancel();
  }

  /** Stops the workers for an abortOnFail threshold. */
  readonly forThreshold = (reason: string): void => {
    this.#pool.broadcast({ type: 'stop', reason });
    this.#killAfter(this.graceMs, `within ${seconds(this.graceMs)} s of the abortOnFail stop`);
  };

  /** The run's own deadline: its start margin, duration and drain, and the grace. */
  armDeadline(startMarginMs: number, durationMs: number, drainMs: number): void {
    const deadlineMs = startMarginMs + durationMs + drainMs + this.graceMs;
    this.#killAfter(
      deadlineMs,
      `by the run's deadline (${seconds(durationMs)} s${drainMs > 0 ? ` + ${seconds(drainMs)} s drain` : ''} + ${seconds(this.graceMs)} s)`,
    );
  }

  /** Disarms the deadlines and stops listening on the interrupts. */
  dispose(): void {
    clearTimeout(this.#killTimer);
    this.#o.stop?.removeEventListener('abort', this.#onStop);
    this.#o.cancel?.removeEventListener('abort', this.#onCancel);
  }

  readonly #onStop = (): void => {
    const reason = String(this.#o.stop?.reason ?? 'interrupted');
    this.#pool.broadcast({ type: 'stop', reason });
    this.#killAfter(this.graceMs, `within ${seconds(this.graceMs)} s of ${reason}`);
  };

  readonly #onCancel = (): void => {
    this.#pool.broadcast({ type: 'cancel' });
    this.#killAfter(STOP_MARGIN_MS, `within ${seconds(STOP_MARGIN_MS)} s of the second interrupt`);
  };

  #killAfter(ms: number, reason: string): void {
    const at = performance.now() + ms;
    if (at >= this.#killAt) return;
    this.#killAt = at;
    clearTimeout(this.#killTimer);
    this.#killTimer = setTimeout(() => {
      // Recorded before the terminated workers' exits can settle `finished`.
      const late = this.#pool.terminateLate();
      if (late.length === 0) return;
      this.terminated.push(...late);
      this.stoppedAt.push(performance.timeOrigin + performance.now() - this.#o.origin());
      const many = late.length > 1;
      this.why.push(
        `load worker${many ? 's' : ''} ${late.join(', ')} did not stop ${reason} and ${many ? 'were' : 'was'} terminated; the records ${many ? 'they' : 'it'} had handed over are kept`,
      );
    }, ms);
  }
}

/** run.json's end for a run interrupted (`reason`) while its workers were loading. */
export function endWhileLoading(info: RunInfo, reason: string): void {
  info.durationS = 0;
  info.aborted = reason;
  info.ended = {
    at: new Date().toISOString(),
    complete: false,
    reason: `interrupted by ${reason} while loading: the load did not start`,
  };
}

/**
 * run.json's `aborted` and `ended` once the load is over: an interrupt first, else the early
 * stop's reason; complete when neither happened and no worker was terminated.
 */
export function endRun(
  info: RunInfo,
  stop: AbortSignal | undefined,
  earlyStop: string | undefined,
  stops: Pick<RunStops, 'terminated' | 'why'>,
): void {
  const { terminated, why } = stops;
  if (stop?.aborted) info.aborted = String(stop.reason ?? 'interrupted');
  else if (earlyStop !== undefined) info.aborted = earlyStop;
  info.ended = {
    at: new Date().toISOString(),
    complete: info.aborted === undefined && terminated.length === 0,
  };
  if (!info.ended.complete) {
    const after = `after ${seconds((info.durationS ?? 0) * 1000)} s${info.plannedS === undefined ? '' : ` of ${info.plannedS} s`}`;
    const interrupted =
      info.aborted === undefined
        ? []
        : [stop?.aborted ? `interrupted by ${info.aborted} ${after}` : `stopped ${after}: ${info.aborted}`];
    info.ended.reason = [...interrupted, ...why].join('; ');
  }
  if (terminated.length > 0) info.ended.terminatedWorkers = terminated;
}
