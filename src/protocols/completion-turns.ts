/**
 * @module protocols/completion-turns
 * Hands an ended exchange to the code waiting on it (its record, a VU's next
 * request) without letting that work hold up the responses still streaming:
 * one event-loop turn hands over results for at most {@link TURN_BUDGET_MS},
 * or, after a busy loop, for as long as the rest of the loop was busy since
 * the last hand-over; the rest wait for a later turn. Timings are taken when
 * the response ends, so the wait is in none of them.
 * Why: VUs that end together otherwise delay every other stream's chunk
 * timestamps by 20-50 ms (docs/design/2026-12-07-hot-path-headers.md).
 */
import { performance } from 'node:perf_hooks';

/** The time one turn of the event loop may spend in the code waiting on ended exchanges (ms). */
export const TURN_BUDGET_MS = 1;

/** Results held for later turns, as pairs: the resolve function, then its value. */
const held: unknown[] = [];
/** When this turn's first result was handed over (performance.now()), or -1 before it. */
let turnStart = -1;
/** Results handed over in this turn so far. */
let handedThisTurn = 0;
/** Results that fit in {@link TURN_BUDGET_MS}: what the last turn that ran out of budget handed over. */
let perTurn = 1;
let turnEndScheduled = false;
/**
 * The event loop's use when results began to wait or were last handed over from the hold, and
 * the time that hand-over was given (ms): the loop's busy time since the mark, less it, is what
 * the rest of the loop took meanwhile.
 */
let mark = performance.eventLoopUtilization();
let lastSliceMs = 0;

/**
 * Resolves `resolve(value)` now, or in a later turn of the event loop when this turn's budget
 * is spent. `now` is `performance.now()` (tests pass their own).
 */
export function handOver<T>(resolve: (value: T) => void, value: T, now: number = performance.now()): void {
  if (turnStart < 0) {
    turnStart = now;
    scheduleTurnEnd();
  }
  if (now - turnStart < TURN_BUDGET_MS) {
    handedThisTurn++;
    resolve(value);
    return;
  }
  if (handedThisTurn > 0) {
    perTurn = handedThisTurn;
    handedThisTurn = 0;
  }
  if (held.length === 0) {
    mark = performance.eventLoopUtilization();
    lastSliceMs = 0;
  }
  held.push(resolve, value);
}

/** Results waiting for a later turn (for tests and diagnostics). */
export function heldCount(): number {
  return held.length / 2;
}

/**
 * How long a later turn hands over held results (ms): as long as the rest of the loop was busy
 * since the last hand-over (`busyMs` since it, less the `lastSliceMs` it was given), at least
 * {@link TURN_BUDGET_MS}.
 */
export function sliceMs(busyMs: number, lastSliceMs: number): number {
  return Math.max(TURN_BUDGET_MS, busyMs - lastSliceMs);
}

function scheduleTurnEnd(): void {
  if (turnEndScheduled) return;
  turnEndScheduled = true;
  setImmediate(endTurn);
}

/**
 * Runs after the loop has handled its batch of ready sockets (the check phase): the next
 * results start a new turn, and a slice of the held ones is handed over now, as many as fit
 * in {@link sliceMs} at the rate of the last full turn. An immediate queued here runs in the
 * next loop iteration, after the sockets ready by then are read.
 */
function endTurn(): void {
  turnEndScheduled = false;
  turnStart = -1;
  handedThisTurn = 0;
  if (held.length === 0) return;
  const busyMs = performance.eventLoopUtilization(mark).active;
  mark = performance.eventLoopUtilization();
  lastSliceMs = sliceMs(busyMs, lastSliceMs);
  const batch = held.splice(0, 2 * Math.ceil((perTurn * lastSliceMs) / TURN_BUDGET_MS));
  for (let i = 0; i < batch.length; i += 2) (batch[i] as (value: unknown) => void)(batch[i + 1]);
  if (held.length > 0) scheduleTurnEnd();
}
