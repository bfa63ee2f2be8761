/**
 * @module core/clock
 * The run's monotonic clock: milliseconds since the run started.
 */
import { performance } from 'node:perf_hooks';

/** Milliseconds on a monotonic clock whose 0 is `origin`. */
export type Clock = () => number;

/** A clock starting now (or at the given `performance.now()` value). */
export function createClock(origin: number = performance.now()): Clock {
  return () => performance.now() - origin;
}
