/**
 * @module engine/early-stop
 * What ends a run before its plan does, short of an interrupt: a worker's
 * `abort` (a `budget:` cap reached, engine/budget, or a bad feeder row) and the
 * test's abortOnFail thresholds, judged on the workers' merged states while the
 * load runs. The first reason wins and becomes run.json's `aborted`; a failed
 * threshold is also written as `abortedByThreshold`. Why apart: the
 * coordinator only asks whether and why to stop, not how a threshold is judged.
 */
import { performance } from 'node:perf_hooks';
import {
  createThresholdSource,
  failingAbortThreshold,
  hasAbortOnFail,
  type Thresholds,
} from '../analysis/index.js';
import type { Test } from '../config/index.js';
import type { ExecutionPlan } from '../load/index.js';
import type { RunAggregator } from '../metrics/index.js';
import type { RunInfo } from '../store/index.js';

/** At most this often the abortOnFail thresholds are evaluated (on a worker's state arriving). */
const ABORT_CHECK_MS = 250;

export interface EarlyStopOptions {
  test: Test;
  plan: ExecutionPlan;
  /** The run's aggregate, as the workers' states are merged into it. */
  aggregator: RunAggregator;
  /** Read for the snapshot's name and start; `abortedByThreshold` is written into it. */
  info: RunInfo;
  /** The interrupt: once aborted, the thresholds are no longer judged. */
  stop: AbortSignal | undefined;
  log: (line: string) => void;
  /** The run clock's 0 (epoch ms), 0 before the start. */
  origin: () => number;
}

/** The run's early-stop decision: the first reason to stop, from a worker or a threshold. */
export class EarlyStop {
  readonly #o: EarlyStopOptions;
  readonly #abortable: boolean;
  #checkedAt = Number.NEGATIVE_INFINITY;
  /** Stops the workers for an abortOnFail threshold (set once they run, with the grace deadline). */
  #stopForThreshold: ((reason: string) => void) | undefined;
  /** Why a worker ended the run early (a bad feeder row, a budget cap), or the abortOnFail threshold that did. */
  reason: string | undefined;

  constructor(options: EarlyStopOptions) {
    this.#o = options;
    this.#abortable = hasAbortOnFail(options.test.thresholds as Thresholds);
  }

  /** From now on a failed abortOnFail threshold calls `stopWorkers` (once the workers run). */
  armThresholds(stopWorkers: (reason: string) => void): void {
    this.#stopForThreshold = stopWorkers;
  }

  /** A worker asks to end the run; true when it is the first reason (the caller stops the workers). */
  fromWorker(reason: string): boolean {
    if (this.reason !== undefined) return false;
    this.reason = reason;
    this.#o.log(`stopping the run: ${reason}`);
    return true;
  }

  /**
   * Evaluates the abortOnFail thresholds on what the workers have shipped so far (their
   * states come about once a second, a window's worth), at most every ABORT_CHECK_MS.
   */
  checkThresholds(): void {
    if (!this.#abortable || this.reason !== undefined || this.#stopForThreshold === undefined) return;
    const { test, plan, aggregator, info } = this.#o;
    const now = performance.now();
    if (now - this.#checkedAt < ABORT_CHECK_MS) return;
    this.#checkedAt = now;
    const elapsedMs = performance.timeOrigin + now - this.#o.origin();
    // Only while the load runs: the states shipped as it ends (or after an interrupt) judge a
    // run that is over, whose end-of-run thresholds say the rest.
    if (this.#o.stop?.aborted || (plan.durationMs !== undefined && elapsedMs >= plan.durationMs)) return;
    const core = aggregator.snapshot({
      name: test.name,
      startedAt: info.startedAt,
      durationS: Math.max(0, elapsedMs) / 1000,
      scenarios: info.scenarios,
    });
    const failed = failingAbortThreshold(
      test.thresholds as Thresholds,
      createThresholdSource(aggregator, core),
      elapsedMs,
    );
    if (failed === undefined || failed.value === null) return;
    const atS = Math.round(elapsedMs) / 1000;
    info.abortedByThreshold = {
      threshold: `${failed.metric} ${failed.expr}`,
      metric: failed.metric,
      expr: failed.expr,
      value: failed.value,
      at_s: atS,
    };
    this.reason = `threshold "${failed.metric}: ${failed.expr}" failed at ${atS} s (value ${failed.value}; abortOnFail)`;
    this.#o.log(`stopping the run: ${this.reason}`);
    this.#stopForThreshold(this.reason);
  }
}
