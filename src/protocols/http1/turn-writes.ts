/**
 * @module protocols/http1/turn-writes
 * Requests sent while the event loop handles one batch of ready sockets are
 * written together once it is done (a `setImmediate`, the phase after I/O),
 * rather than each from its own callback. On loopback a write also runs the
 * server's side of TCP and wakes the server; back to back, the server is
 * still awake for the second and later ones. A plain socket loop against
 * nginx with 20 µs of work per response: 24k → 28k req/s, the write
 * 13 → 8 µs (CPU 0 against nginx on CPU 1). `sent` is stamped at the write,
 * so the wait is in no latency.
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
