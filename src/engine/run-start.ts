/**
 * @module engine/run-start
 * The threads a run starts: the embedded mock (when the test's target is
 * `mock`) and the load workers, each worker a deterministic slice of the plan
 * with the run-wide counters it shares (iterations, budget), each thread's
 * young generation sized by its share of the peak (engine/heavy-load). The
 * caller starts both before awaiting either, so they load their code in
 * parallel. Why apart: what a thread is started with is separate from when.
 */
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import type { Test } from '../config/index.js';
import type { ExecutionPlan } from '../load/index.js';
import { type MockThread, startMockInThread } from '../sim/mock-thread.js';
import { budgetBuffer } from './budget.js';
import { HEAVY_SHARE_PER_S, peakShare, youngGenerationMb } from './heavy-load.js';
import { startWorkers, type WorkerPool } from './worker-pool.js';
import type { FromWorker, RecordsMode, TestSource, WorkerInit } from './worker-protocol.js';

/** One worker per core, leaving one core to the embedded mock when there is one. */
export function defaultWorkerCount(withMock: boolean): number {
  return Math.max(1, availableParallelism() - (withMock ? 1 : 0));
}

/**
 * V8's memory reducer is off while tokenstorm generates load (for the whole
 * process: the flag is read each time the reducer would start). The
 * coordinator is idle most of the time, so V8 took it for an idle page and
 * ran heap-shrinking full GCs on it: 26-31 ms pauses every few seconds that
 * stalled a worker sharing its core (10,000 arrivals/s on one core: per-second
 * lag p99 up to 48 ms; with the reducer off, 1.6 ms run-wide, `--trace-gc`).
 */
export function keepHeapSteady(): void {
  setFlagsFromString('--no-memory-reducer');
}

/**
 * Starts the embedded mock in its own thread when the test's target is `mock` (undefined
 * otherwise); a failure to start is the awaiting caller's, never an unhandled rejection.
 */
export function startEmbeddedMock(test: Test, plan: ExecutionPlan): Promise<MockThread> | undefined {
  if (test.target !== 'mock') return undefined;
  const starting = startMockInThread(test.mock ?? {}, {
    // A heavy load keeps V8's default for the mock, as before; a light one's start-up needs less.
    youngGenerationMb:
      peakShare(plan, 1) >= HEAVY_SHARE_PER_S ? undefined : youngGenerationMb(peakShare(plan, 1)),
  });
  starting.catch(() => undefined);
  return starting;
}

export interface LoadWorkersOptions {
  source: TestSource;
  test: Test;
  plan: ExecutionPlan;
  workerCount: number;
  records: RecordsMode;
  /** Each worker's record batches not written yet (engine/run-intake). */
  backlog: Int32Array;
  /** The embedded mock is starting: the target comes later, in a `target` message. */
  targetLater: boolean;
  onMessage: (index: number, message: FromWorker) => void;
}

/** Starts the load workers (engine/worker-pool), with the counters they share run-wide. */
export function startLoadWorkers(options: LoadWorkersOptions): WorkerPool {
  const { source, test, plan, workerCount } = options;
  // One counter for all workers, so an `iterations` bound holds run-wide.
  const iterations = new SharedArrayBuffer(4);
  // Likewise the budget's counters, so a cap holds run-wide.
  const budgetCounters = test.budget === undefined ? undefined : budgetBuffer();
  const init = (workerIndex: number): WorkerInit => ({
    source,
    // Sent in a `target` message once the embedded mock listens.
    target: options.targetLater ? undefined : test.target,
    workerIndex,
    workerCount,
    iterations,
    records: options.records,
    backlog: options.backlog.buffer as SharedArrayBuffer,
    budget: budgetCounters,
  });
  const young = youngGenerationMb(peakShare(plan, workerCount));
  return startWorkers(workerCount, init, options.onMessage, young);
}

/** Resolves true once every worker is ready, false if `stop` aborts first. */
export async function readyUnlessStopped(
  ready: Promise<void>,
  stop: AbortSignal | undefined,
): Promise<boolean> {
  if (stop === undefined) {
    await ready;
    return true;
  }
  if (stop.aborted) return false;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    stop.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([ready.then(() => true), stopped]);
  } finally {
    stop.removeEventListener('abort', onAbort);
  }
}
