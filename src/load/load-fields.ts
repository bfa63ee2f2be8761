/**
 * @module load/load-fields
 * Zod fields shared by the executors' schemas (each executor keeps its own
 * schema beside it, as k6 keeps config beside the executor).
 */
import { z } from 'zod';
import { durationMs } from '../core/index.js';

export { durationMs };

export const positiveNumber = () =>
  z.number({ error: 'expected a positive number' }).positive({ error: 'expected a positive number' });
export const nonNegativeNumber = () =>
  z.number({ error: 'expected a number >= 0' }).nonnegative({ error: 'expected a number >= 0' });
export const positiveInt = () =>
  z
    .number({ error: 'expected a positive whole number' })
    .int({ error: 'expected a positive whole number' })
    .positive({ error: 'expected a positive whole number' });

/** Fields every executor takes. */
export const loadCommon = {
  /** Time in-flight requests get to finish after the end before they are cancelled. */
  graceful_stop: durationMs({ allowZero: true }).default(10_000),
};

/** Time and count bounds of the simple executors (at least one is required). */
export const bounds = {
  duration: durationMs().optional(),
  /** Total iterations to run across all VUs/arrivals; the test ends at whichever bound comes first. */
  iterations: positiveInt().optional(),
};

export const needsBound = (l: { duration?: number | undefined; iterations?: number | undefined }) =>
  l.duration !== undefined || l.iterations !== undefined;
export const boundError = { message: 'expected a duration and/or iterations', path: ['duration'] };

/**
 * Staged and replayed schedules take `duration` as a cap: the schedule is cut
 * there (so `--duration 2s` shortens any test).
 */
export const durationCap = {
  /** Cuts the schedule at this time (the plan is unchanged before it). */
  duration: durationMs().optional(),
};

/** Most iterations in flight at once for open models; an arrival beyond it is dropped, never delayed. */
export const maxVus = positiveInt().default(1000);
