/**
 * @module workload/retry-policy
 * When a failed request is tried again and how long the client waits first:
 * exponential backoff with jitter, or what the server's `Retry-After` says.
 * Pure functions: the random source and the current time are arguments.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { ErrorKind } from '../core/index.js';
import type { Rng } from '../random/index.js';

/** A scenario's retry policy, as validated (durations in ms). */
export interface RetryPolicy {
  max_attempts: number;
  on: readonly string[];
  backoff: { initial: number; multiplier: number; max: number; jitter: 'full' | 'equal' | 'none' };
  respect_retry_after: boolean;
  max_retry_after: number;
}

/** Whether a policy's `on` list covers `kind`: naming `http_5xx` covers `overloaded` too (a 529 is a 5xx). */
export function retriesOn(on: readonly string[], kind: ErrorKind): boolean {
  return on.includes(kind) || (kind === 'overloaded' && on.includes('http_5xx'));
}

/** Whether attempt `attempt` (from 1) that failed with `kind` gets another try. */
export function shouldRetry(
  policy: RetryPolicy | undefined,
  kind: ErrorKind | undefined,
  attempt: number,
): boolean {
  return (
    policy !== undefined && kind !== undefined && attempt < policy.max_attempts && retriesOn(policy.on, kind)
  );
}

/** Backoff before attempt `attempt + 1`: `initial × multiplier^(attempt−1)`, capped, then jittered. */
export function backoffMs(policy: RetryPolicy, attempt: number, rng: Rng): number {
  const { initial, multiplier, max, jitter } = policy.backoff;
  const delay = Math.min(max, initial * multiplier ** (attempt - 1));
  switch (jitter) {
    case 'full':
      return rng() * delay;
    case 'equal':
      return delay / 2 + (rng() * delay) / 2;
    default:
      return delay;
  }
}

/**
 * `Retry-After` in milliseconds from `nowEpochMs`: delta-seconds (`"2"`,
 * `"1.5"`) or an HTTP date; undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: IncomingHttpHeaders, nowEpochMs: number): number | undefined {
  const raw = headers['retry-after'];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowEpochMs);
}

/** The wait before the next attempt: the server's `Retry-After` when honoured, else the backoff. */
export function retryDelayMs(
  policy: RetryPolicy,
  attempt: number,
  headers: IncomingHttpHeaders,
  rng: Rng,
  nowEpochMs: number,
): number {
  if (policy.respect_retry_after) {
    const after = parseRetryAfter(headers, nowEpochMs);
    if (after !== undefined) return Math.min(after, policy.max_retry_after);
  }
  return backoffMs(policy, attempt, rng);
}
