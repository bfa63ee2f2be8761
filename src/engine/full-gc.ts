/**
 * @module engine/full-gc
 * A full garbage collection on demand. A worker runs one after its warm-up,
 * before it reports ready: the warm-up (JIT, tokenizer tables, the first
 * records) fills the old generation close to V8's first limit, and the
 * collection that then came ~0.8 s into the load stopped the worker for
 * 15-21 ms (250 streams × 200 chunks/s, `PerformanceObserver` on the
 * worker's `gc` entries, 3 runs). Collected before the clock starts, the
 * next limit is set from what the worker really keeps, and no full
 * collection fell inside a 10 s run.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

/** Collects garbage in both generations of this thread's heap, now. */
export function collectGarbage(): void {
  if (collect === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (typeof exposed === 'function') collect = exposed;
    else {
      // Exposes `gc` to contexts created from now on; this thread's own global is left as it was.
      setFlagsFromString('--expose-gc');
      collect = runInNewContext('gc') as () => void;
    }
  }
  collect();
}
