/**
 * @module core/duration
 * k6-style durations: `500ms`, `10s`, `2m`, `1h`, `1m30s`, or a number of seconds,
 * at most 24 days (what a Node.js timer can wait).
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
const WHOLE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;

/** Parses a duration string to milliseconds; undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!WHOLE.test(compact)) return undefined;
  let total = 0;
  for (const match of compact.matchAll(PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return total;
}

const EXPECTED = 'expected a duration such as "30s", "500ms", "2m" or a number of seconds';

/** The longest timer Node.js can set (about 24.8 days); a longer one would fire at once. */
export const MAX_DURATION_MS = 2 ** 31 - 1;

/** A duration field: accepts `"10s"` or `10` (seconds) and yields milliseconds. */
export function durationMs(options: { allowZero?: boolean } = {}) {
  return z.union([z.number(), z.string()], { error: EXPECTED }).transform((value, ctx) => {
    const ms = typeof value === 'number' ? value * 1000 : parseDurationMs(value);
    if (ms === undefined || !Number.isFinite(ms) || ms < 0 || (ms === 0 && !options.allowZero)) {
      ctx.addIssue({ code: 'custom', message: EXPECTED, input: value });
      return z.NEVER;
    }
    if (ms > MAX_DURATION_MS) {
      ctx.addIssue({ code: 'custom', message: 'expected a duration of at most 24 days', input: value });
      return z.NEVER;
    }
    return ms;
  });
}
