/**
 * @module engine/worker-protocol
 * Messages between the coordinator (main thread) and the load workers.
 * Each worker owns a deterministic slice of the load, aggregates its own
 * records and sends the encoded aggregate about once a second, with the
 * records kept on disk in batches; the coordinator merges and writes them.
 */
import type { Overrides } from '../config/index.js';
import type { AggregateState, StageSpan } from '../metrics/index.js';
import type { EncodedRecords } from '../store/index.js';

/** Where a worker gets the test: a file it loads itself (TypeScript flows cannot be cloned) or a plain object. */
export type TestSource = { file: string; overrides?: Overrides } | { inline: unknown };

/** How much of each request is kept on disk; histograms are exact in every mode. */
export type RecordsMode = { mode: 'full' } | { mode: 'sampled'; rate: number } | { mode: 'off' };

export interface WorkerInit {
  source: TestSource;
  /**
   * The API base URL; undefined while the embedded mock starts (in parallel
   * with the workers), in which case a `target` message brings it.
   */
  target: string | undefined;
  workerIndex: number;
  workerCount: number;
  /** One Int32 slot: the next global iteration number, claimed with Atomics.add. */
  iterations: SharedArrayBuffer;
  /** Which records the worker sends for records.jsonl (its aggregate counts every one). */
  records: RecordsMode;
  /** One Int32 slot per worker: its record batches the coordinator has not written yet. */
  backlog: SharedArrayBuffer;
  /** The test's `budget:` counters, shared by every worker (engine/budget); absent without a budget. */
  budget?: SharedArrayBuffer | undefined;
}

export type ToWorker =
  /** Start the load at `originEpochMs` (a shared barrier in `performance.timeOrigin + now()` time). */
  | { type: 'start'; originEpochMs: number }
  /** The target's base URL, once the embedded mock listens (when `WorkerInit.target` was undefined). */
  | { type: 'target'; url: string }
  /** Stop starting iterations; in-flight ones get the graceful stop. */
  | { type: 'stop'; reason: string }
  /** Cancel in-flight requests now. */
  | { type: 'cancel' };

export type FromWorker =
  /** Warmed up and waiting for the start; `thread` is its OS thread id where the OS tells (engine/thread-priority). */
  | { type: 'ready'; thread?: number | undefined }
  /**
   * Records for records.jsonl, for the coordinator to write (it then takes one off the worker's
   * backlog). `warmUp`: the warm-up's, for the coordinator to make lines of and drop.
   */
  | { type: 'records'; batch: EncodedRecords; warmUp?: true }
  /** Records for records.jsonl as JSONL text, a line each, written by a worker whose coordinator is behind. */
  | { type: 'lines'; text: string }
  /**
   * What the worker counted over the `seconds` since its last state (merged exactly by the
   * coordinator). `warmUp`: counted in the warm-up, for the coordinator to exercise its merging on and drop.
   */
  | { type: 'state'; state: AggregateState; seconds: number; warmUp?: true }
  | { type: 'dropped'; at: number[] }
  /** Once a second: iterations in flight and the worker's event-loop delay over that second (ms). */
  | { type: 'progress'; inFlight: number; activeVus: number; loopDelayP99Ms: number; loopDelayMaxMs: number }
  /** A stage the load model decided while running (a sweep step), sent before any of its records. */
  | { type: 'stage'; span: StageSpan }
  /** Something that ends the whole run happened in this worker (a bad feeder row): stop every worker. */
  | { type: 'abort'; reason: string }
  /** The worker's load is over: `endMs` on the run clock. */
  | { type: 'done'; endMs: number }
  | { type: 'failed'; message: string; configError: boolean };
