/**
 * @module engine/drive
 * Runs one worker's share of the load: the executor starts iterations, the
 * workload sends them, and when the executor is done in-flight iterations get
 * the graceful stop before they are cancelled.
 */
import { setMaxListeners } from 'node:events';
import type { Test } from '../config/index.js';
import type { Clock, RequestRecord } from '../core/index.js';
import { type BoundExecutor, ScriptBackOff } from '../load/index.js';
import { RunAggregator, type StageSpan, slosOf } from '../metrics/index.js';
import type { HttpTransport } from '../protocols/index.js';
import type { Workload } from '../workload/index.js';
import type { InFlight } from './in-flight.js';

export interface DriveOptions {
  test: Test;
  /** The test's load model, built once by the caller (a trace file is read once). */
  executor: BoundExecutor;
  workload: Workload;
  dispatcher: HttpTransport;
  clock: Clock;
  /** Which slice of the plan this worker runs (k6's execution segments). */
  segment: { index: number; count: number };
  /** Claims a run-wide iteration number (shared across workers). */
  claimIteration: () => number;
  /** Aborted to stop starting iterations (interrupt). */
  stop: AbortSignal;
  /** Aborted to cancel in-flight requests now (second interrupt). */
  cancelNow: AbortSignal;
  /** Run-wide record numbering: this worker's n-th record gets `index + n * count`. */
  onRecord: (record: RequestRecord) => void;
  onDropped: (scheduled: number) => void;
  /** A stage announced by the load model while running (sweep steps). */
  onStage?: (span: StageSpan) => void;
  /** A closed model's VU started (+1) or stopped (-1). */
  onVuActive?: (delta: 1 | -1) => void;
  /** The iterations running now; shared so progress reports can read its size. */
  inFlight: InFlight;
  log?: (line: string) => void;
}

/** Runs the load of one segment to its end; resolves with the run-clock time it ended. */
export async function drive(options: DriveOptions): Promise<number> {
  const { test, workload, dispatcher, clock, segment } = options;
  const cancel = new AbortController();
  // Every in-flight request listens on it: thousands of listeners are expected, not a leak.
  setMaxListeners(0, cancel.signal);
  const cancelNow = () => cancel.abort('cancelled');
  options.cancelNow.addEventListener('abort', cancelNow, { once: true });
  const inFlight = options.inFlight;
  let sequence = 0;
  const { plan, run } = options.executor;
  // A load model that decides from results (the sweep) runs in one segment and measures its own records.
  const meter = plan.singleSegment ? new RunAggregator({ slos: slosOf(test.slo) }) : undefined;
  // A VU whose iteration failed in the test's own code backs off before its next one.
  const backOff = new ScriptBackOff();
  const sink = (record: RequestRecord): void => {
    record.id = segment.index + sequence++ * segment.count;
    if (record.error === 'script_error') backOff.failed(record.vu);
    meter?.add(record);
    options.onRecord(record);
  };
  await run(
    {
      clock,
      stop: options.stop,
      runIteration: (vu, iteration, scheduled, data) =>
        inFlight.track(
          workload.runIteration({
            vu,
            iteration,
            scheduled,
            sink,
            dispatcher,
            clock,
            signal: cancel.signal,
            stop: options.stop,
            data,
          }),
        ),
      dropped: (scheduled) => {
        meter?.addDropped(scheduled);
        options.onDropped(scheduled);
      },
      stage: (span) => {
        meter?.addStage(span);
        options.onStage?.(span);
      },
      ...(meter !== undefined
        ? { measure: (fromMs: number, toMs: number) => meter.measure(fromMs, toMs) }
        : {}),
      segment,
      claimIteration: options.claimIteration,
      backOff: backOff.pause,
      ...(options.onVuActive !== undefined ? { vuActive: options.onVuActive } : {}),
    },
    test.seed,
  );
  if (inFlight.size > 0) {
    options.log?.(
      `waiting up to ${test.load.graceful_stop / 1000}s for ${inFlight.size} in-flight iterations`,
    );
    const settled = await inFlight.settle(test.load.graceful_stop, cancel.signal);
    if (!settled) {
      cancel.abort('graceful stop elapsed');
      await inFlight.settle(Number.POSITIVE_INFINITY, undefined);
    }
  }
  options.cancelNow.removeEventListener('abort', cancelNow);
  return clock();
}
