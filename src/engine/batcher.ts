/**
 * @module engine/batcher
 * Collects a worker's records and ships them to the coordinator in batches:
 * one message per ~100 ms or per 128 records, never one per request.
 */
import type { RequestRecord } from '../metrics/index.js';

/**
 * A batch wakes the coordinator, which takes it in one go; where both share a
 * core, the worker waits that long. 128 records (~0.5 ms of coordinator work)
 * halved the per-second scheduling-lag p99 of 20,000 arrivals/s on one core
 * against 512 (medians 1.0-1.9 ms over five runs vs 2.0-3.2 over three), at no
 * cost in throughput.
 */
const MAX_BATCH = 128;
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
