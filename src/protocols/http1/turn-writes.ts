/**
 * @module protocols/http1/turn-writes
 * Requests sent while the event loop handles one batch of ready sockets are
 * written together once it is done (a `setImmediate`, the phase after I/O),
 * rather than each from its own callback. `sent` is stamped at the write, so
 * the wait is in no latency. Why: on loopback a write also wakes the server,
 * which is still awake for writes that follow back to back; it raised a
 * plain socket loop's rate against nginx (docs/design/2026-12-07-worker-headers.md).
 */

/** What has a request to write: a connection. */
export interface TurnWriter {
  /** Writes its request, if it still has one not yet written. */
  write(): void;
}

let toWrite: TurnWriter[] = [];
let flushScheduled = false;

/** Writes `writer`'s request at the end of this turn of the event loop (a writer queued twice writes once). */
export function writeThisTurn(writer: TurnWriter): void {
  toWrite.push(writer);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushWrites);
  }
}

function flushWrites(): void {
  flushScheduled = false;
  const batch = toWrite;
  toWrite = [];
  for (let i = 0; i < batch.length; i++) (batch[i] as TurnWriter).write();
}
