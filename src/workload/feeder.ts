/**
 * @module workload/feeder
 * Rows for templates from a CSV or JSONL file, streamed so a file of any size
 * costs a bounded amount of memory.
 *
 * - `sequential`, `circular`, `unique` pull rows from one stream, in file order.
 * - `unique` partitions rows by index across workers (row i belongs to worker
 *   i mod workerCount), so no row is used twice in the whole run, with no
 *   coordination between workers.
 * - `random` scans the file once to index the byte offset of every row
 *   (8 bytes a row: 4 MB for 500,000 rows), then reads a uniformly drawn row
 *   with one positioned read. Reservoir sampling over the stream would need no
 *   scan but yields a uniform sample only of the window it holds, or the whole
 *   file in memory for a true uniform draw; the index is both exact and small.
 */
import { type FileHandle, open } from 'node:fs/promises';
import type { Rng } from '../random/index.js';
import {
  type CsvOptions,
  formatOf,
  type PositionedRow,
  type Row,
  type RowFormat,
  readCsvHeader,
  readRowAt,
  readRows,
} from './row-reader.js';

/** A scenario's `feeder` block, as validated. */
export interface FeederSpec {
  file: string;
  format?: RowFormat | undefined;
  strategy: 'sequential' | 'random' | 'circular' | 'unique';
  on_exhausted: 'stop' | 'error';
  delimiter: string;
  /** CSV: a row may have more or fewer fields than the header (missing ones read as ''). */
  relax_column_count?: boolean | undefined;
}

/** This workload's share of the run: worker `workerIndex` of `workerCount`. */
export interface WorkerSlice {
  workerIndex: number;
  workerCount: number;
}

/** Offsets of every row: a growable pair of typed arrays. */
class RowIndex {
  starts = new Float64Array(1024);
  ends = new Float64Array(1024);
  size = 0;

  push(start: number, end: number): void {
    if (this.size === this.starts.length) {
      const grow = (a: Float64Array) => {
        const b = new Float64Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.size] = start;
    this.ends[this.size] = end;
    this.size++;
  }
}

/** Rows of one file for one workload (one worker). */
export class Feeder {
  readonly file: string;
  private readonly format: RowFormat;
  private readonly csv: CsvOptions;
  /** The bad row that ended this feeder: every later call rejects with it. */
  private failure: Error | undefined;
  private stream: AsyncGenerator<PositionedRow> | undefined;
  /** The next row, already being read: a VU asking for a row rarely waits for the disk. */
  private ahead: Promise<IteratorResult<PositionedRow>> | undefined;
  private rowNumber = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private index: Promise<{ index: RowIndex; handle: FileHandle; header: string[] }> | undefined;
  /** Rows handed out so far. */
  used = 0;
  /** True once a `sequential` or `unique` feeder has no row left for this worker. */
  exhausted = false;

  constructor(
    readonly spec: FeederSpec,
    private readonly slice: WorkerSlice = { workerIndex: 0, workerCount: 1 },
  ) {
    this.file = spec.file;
    const format = spec.format ?? formatOf(spec.file);
    if (format === undefined) throw new Error(`${spec.file}: cannot tell CSV from JSONL; set feeder.format`);
    this.format = format;
    this.csv = { delimiter: spec.delimiter, relaxColumnCount: spec.relax_column_count === true };
    // Opening the file and parsing the first rows happens now, before the run starts, not in
    // the first iterations (where it would show as scheduling lag).
    if (spec.strategy === 'random') this.index = this.buildIndex();
    else this.readAhead();
    this.index?.catch(() => undefined);
  }

  /**
   * Resolves once the first row is read (or, for `random`, the whole file indexed);
   * rejects with the first bad row found by then, so it can fail the run before its start.
   */
  async ready(): Promise<void> {
    if (this.index !== undefined) await this.index;
    else if (this.ahead !== undefined) await this.ahead;
  }

  private readAhead(): void {
    this.stream ??= readRows(this.file, this.format, this.csv);
    this.ahead = this.stream.next();
    // Awaited by the next call; this only keeps an early failure from being reported as unhandled.
    this.ahead.catch(() => undefined);
  }

  /**
   * The next row for an iteration, or undefined when exhausted. Calls are
   * served one at a time in call order, so concurrent VUs never share a row.
   */
  next(rng: Rng): Promise<Row | undefined> {
    const result = this.chain.then(() =>
      this.spec.strategy === 'random' ? this.randomRow(rng) : this.nextInOrder(),
    );
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async nextInOrder(): Promise<Row | undefined> {
    if (this.failure !== undefined) throw this.failure;
    if (this.exhausted) return undefined;
    const { strategy } = this.spec;
    const own = (i: number) => strategy !== 'unique' || i % this.slice.workerCount === this.slice.workerIndex;
    let wrapped = false;
    for (;;) {
      if (this.ahead === undefined) this.readAhead();
      const ahead = this.ahead as Promise<IteratorResult<PositionedRow>>;
      this.ahead = undefined;
      let next: IteratorResult<PositionedRow>;
      try {
        next = await ahead;
      } catch (err) {
        // The stream is over (a generator that threw is done): never read or awaited again.
        this.failure = err as Error;
        this.stream = undefined;
        throw err;
      }
      if (next.done) {
        this.stream = undefined;
        this.rowNumber = 0;
        // A file with no row for this worker would loop forever when circular.
        if (strategy !== 'circular' || wrapped) {
          this.exhausted = true;
          return undefined;
        }
        wrapped = true;
        continue;
      }
      const i = this.rowNumber++;
      this.readAhead();
      if (!own(i)) continue;
      this.used++;
      return next.value.row;
    }
  }

  private async randomRow(rng: Rng): Promise<Row | undefined> {
    this.index ??= this.buildIndex();
    const { index, handle, header } = await this.index;
    if (index.size === 0) {
      this.exhausted = true;
      return undefined;
    }
    const i = Math.floor(rng() * index.size);
    this.used++;
    return readRowAt(
      handle,
      this.format,
      index.starts[i] as number,
      index.ends[i] as number,
      header,
      this.csv,
      this.file,
    );
  }

  private async buildIndex(): Promise<{ index: RowIndex; handle: FileHandle; header: string[] }> {
    const index = new RowIndex();
    for await (const r of readRows(this.file, this.format, this.csv, true)) index.push(r.start, r.end);
    const header = this.format === 'csv' ? await readCsvHeader(this.file, this.spec.delimiter) : [];
    return { index, handle: await open(this.file, 'r'), header };
  }

  /** Closes the file (random strategy) and the stream. */
  async close(): Promise<void> {
    await this.ahead?.catch(() => undefined);
    await this.stream?.return(undefined);
    if (this.index !== undefined) await (await this.index.catch(() => undefined))?.handle.close();
  }
}
