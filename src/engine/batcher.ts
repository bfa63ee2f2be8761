/**
 * @module engine/batcher
 * Collects a worker's records and ships them to the coordinator in batches:
 * one message per ~100 ms or per 512 records, never one per request.
 */
import type { RequestRecord } from '../metrics/index.js';

const MAX_BATCH = 512;
const FLUSH_EVERY_MS = 100;

export class RecordBatcher {
  private batch: RequestRecord[] = [];
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly send: (records: RequestRecord[]) => void) {
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  add(record: RequestRecord): void {
    this.batch.push(record);
    if (this.batch.length >= MAX_BATCH) this.flush();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const records = this.batch;
    this.batch = [];
    this.send(records);
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
  }
}
