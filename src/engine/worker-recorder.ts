/**
 * @module engine/worker-recorder
 * Where a worker's records go. Each one is added to the worker's own
 * aggregator (histograms, counts, windows, stages), which is shipped to the
 * coordinator as encoded state about once a second and then started afresh;
 * the coordinator merges those states exactly (DESIGN.md §4). Records kept on
 * disk go as numbers in a {@link RecordBatch}, transferred every ~100 ms or
 * 1,024 records, and the coordinator writes their JSONL bytes; a worker whose
 * coordinator has {@link MAX_BACKLOG} batches unwritten sends text it made
 * itself instead. No record crosses the thread boundary as an object:
 * structured-cloning them took 12 % of a worker's CPU in the plain-HTTP
 * closed loop, ~30,000 requests/s on one core (`--cpu-prof`).
 */

import { performance } from 'node:perf_hooks';
import type { RequestRecord } from '../core/index.js';
import { type AggregateState, type RequestSlo, RunAggregator, type StageSpan } from '../metrics/index.js';
import { type EncodedRecords, RecordBatch, recordLines } from '../store/index.js';
import type { RecordsMode } from './worker-protocol.js';

/** Records reach the coordinator (and so the disk) at most this late… */
const LINES_EVERY_MS = 100;
/** …or sooner, once this many are waiting. */
const RECORDS_PER_BATCH = 1024;
/** Batches the coordinator may have yet to write before this worker writes its own text. */
export const MAX_BACKLOG = 8;
/** The aggregate travels once per one-second window, as the windows it feeds are. */
const STATE_EVERY_MS = 1000;

/** Where a recorder sends its output (the worker posts both to the coordinator). */
export interface RecorderOutput {
  /** Kept records for the coordinator to write as lines. */
  batch(batch: EncodedRecords): void;
  /** Kept records as JSONL text (a line each, ending in a newline), when the coordinator is behind. */
  lines(text: string): void;
  /** Batches sent that the coordinator has not written yet (none: it never falls behind). */
  backlog?: () => number;
  /** What the aggregator counted over the `seconds` since the last state. */
  state(state: AggregateState, seconds: number): void;
}

export interface WorkerRecorderOptions {
  slos: readonly RequestSlo[];
  /** Planned stages; a sweep's are added with `addStage` as it announces them. */
  stages: readonly StageSpan[];
  records: RecordsMode;
  output: RecorderOutput;
  /** Also ship (and count afresh) after this many records; 0 or absent: only on the timer. */
  shipEvery?: number;
}

/** Keeps every k-th record (by id) in `sampled` mode, so a sample is spread over the run. */
export function recordFilter(mode: RecordsMode): (record: RequestRecord) => boolean {
  if (mode.mode === 'full') return () => true;
  if (mode.mode === 'off') return () => false;
  const every = Math.max(1, Math.round(1 / mode.rate));
  return (record) => record.id % every === 0;
}

export class WorkerRecorder {
  readonly #slos: readonly RequestSlo[];
  readonly #stages: StageSpan[];
  readonly #keep: (record: RequestRecord) => boolean;
  readonly #output: RecorderOutput;
  #aggregator: RunAggregator;
  readonly #batch = new RecordBatch(RECORDS_PER_BATCH);
  #closed = false;
  /** Also ship after this many records (0: only on the timer); may be changed at any time. */
  shipEvery: number;
  #sinceShip = 0;
  /** When the state being filled began (monotonic ms: the run clock's origin moves at the barrier). */
  #since = performance.now();
  readonly #linesTimer: NodeJS.Timeout;
  readonly #stateTimer: NodeJS.Timeout;

  constructor(options: WorkerRecorderOptions) {
    this.#slos = options.slos;
    this.#stages = [...options.stages];
    this.#keep = recordFilter(options.records);
    this.#output = options.output;
    this.shipEvery = options.shipEvery ?? 0;
    this.#aggregator = this.#fresh();
    this.#linesTimer = setInterval(() => this.flushLines(), LINES_EVERY_MS);
    this.#stateTimer = setInterval(() => this.ship(), STATE_EVERY_MS);
    this.#linesTimer.unref();
    this.#stateTimer.unref();
  }

  add(record: RequestRecord): void {
    this.#aggregator.add(record);
    if (this.#keep(record) && this.#batch.add(record)) this.flushLines();
    if (this.shipEvery > 0 && ++this.#sinceShip >= this.shipEvery) this.ship();
  }

  /** A stage the load model announced; records scheduled in it from now on are counted in it. */
  addStage(span: StageSpan): void {
    this.#stages.push(span);
    this.#aggregator.addStage(span);
  }

  flushLines(): void {
    if (this.#closed) return;
    const batch = this.#batch.take();
    if (batch === undefined) return;
    if ((this.#output.backlog?.() ?? 0) >= MAX_BACKLOG) this.#output.lines(recordLines(batch));
    else this.#output.batch(batch);
  }

  /**
   * Sends the lines waiting and what was counted since the last state (even
   * nothing: a live view reads rates from these), then counts afresh.
   */
  ship(): void {
    this.flushLines();
    this.#sinceShip = 0;
    if (this.#closed) return;
    const state = this.#aggregator.encode();
    const now = performance.now();
    const seconds = (now - this.#since) / 1000;
    this.#aggregator = this.#fresh();
    this.#since = now;
    this.#output.state(state, seconds);
  }

  /** Ships everything left; nothing is sent after this. */
  close(): void {
    clearInterval(this.#linesTimer);
    clearInterval(this.#stateTimer);
    this.ship();
    this.#closed = true;
  }

  #fresh(): RunAggregator {
    return new RunAggregator({ slos: this.#slos, stages: this.#stages });
  }
}
