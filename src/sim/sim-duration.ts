/**
 * @module sim/sim-duration
 * Durations in sim files (`at: 10s`, `window: 1m`, or a number of seconds).
 * Validated but kept as written, so a parsed profile re-parses to itself when
 * it crosses a thread boundary; `durationToMs` converts where it is used.
 */
import { z } from 'zod';
import { parseDurationMs } from '../core/index.js';

const EXPECTED = 'expected a duration such as "30s", "500ms", "2m" or a number of seconds';

/** A duration as written: `"10s"`, `"250ms"` or a number of seconds. */
export const SimDurationSchema = z.union([
  z.number({ error: EXPECTED }).nonnegative({ error: EXPECTED }),
  z.string({ error: EXPECTED }).refine((s) => parseDurationMs(s) !== undefined, { error: EXPECTED }),
]);

export type SimDuration = z.infer<typeof SimDurationSchema>;

/** Milliseconds of a validated duration (a number means seconds). */
export function durationToMs(value: SimDuration): number {
  return typeof value === 'number' ? value * 1000 : (parseDurationMs(value) ?? 0);
}
