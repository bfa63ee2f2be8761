/**
 * @module store/records-file
 * `records.jsonl`: one line per request attempt, appended as results arrive.
 * Lines are buffered briefly and written at least every 200 ms, and
 * synchronously on exit, so an interrupt or a crash loses nothing that completed.
 */
import { closeSync, createReadStream, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

const FLUSH_EVERY_MS = 200;
const FLUSH_AT_BYTES = 256 * 1024;

/** Writes JSON lines to a new file (an earlier run's file of that name is replaced); call `close()` at the end. */
export class JsonlWriter {
  private readonly fd: number;
  private buffer = '';
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private readonly onExit = () => this.flush();

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
    this.timer = setInterval(() => this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
    process.on('exit', this.onExit);
  }

  write(value: unknown): void {
    this.writeLines(`${JSON.stringify(value)}\n`);
  }

  /** Appends lines already serialised elsewhere (each ending in a newline). */
  writeLines(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= FLUSH_AT_BYTES) this.flush();
  }

  /** Appends JSONL bytes made elsewhere (each line ending in a newline); written at once, after what is buffered. */
  writeBytes(bytes: Uint8Array): void {
    if (this.closed) return;
    this.flush();
    writeSync(this.fd, bytes);
  }

  /** Writes what is buffered (synchronously: it must also work in an exit handler). */
  flush(): void {
    if (this.closed || this.buffer === '') return;
    const data = this.buffer;
    this.buffer = '';
    writeSync(this.fd, data);
  }

  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    clearInterval(this.timer);
    process.off('exit', this.onExit);
    closeSync(this.fd);
  }
}

/** What reading a JSONL file found besides its values. */
export interface ReadReport {
  /** 1-based line numbers that were not valid JSON (a torn last line after a kill). */
  skipped: number[];
}

/** Reads a JSONL file in order, skipping (and reporting) lines that do not parse. */
export async function readJsonl<T>(path: string, onValue: (value: T) => void): Promise<ReadReport> {
  const skipped: number[] = [];
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    let value: T;
    try {
      value = JSON.parse(line) as T;
    } catch {
      skipped.push(n);
      continue;
    }
    onValue(value);
  }
  return { skipped };
}
