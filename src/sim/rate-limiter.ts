/**
 * @module sim/rate-limiter
 * OpenAI-style rate limits: requests and tokens per fixed window counted from
 * server start, `x-ratelimit-*` headers on every answer, 429 with
 * `Retry-After` beyond a limit, and latency that drifts up near the limit.
 */
import type { RateLimitProfile } from './mock-profile.js';
import { durationToMs } from './sim-duration.js';

/** The verdict on one request. */
export interface RateLimitDecision {
  allowed: boolean;
  /** `x-ratelimit-*` headers, and on a refusal `retry-after` and `retry-after-ms`. */
  headers: Record<string, string>;
  /** Added before the first token when usage is close to a limit (drift). */
  delayMs: number;
}

/** OpenAI's reset format: `20ms`, `1.5s`, `6m0s`. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const totalS = Math.round(ms) / 1000;
  const minutes = Math.floor(totalS / 60);
  const seconds = Math.round((totalS - minutes * 60) * 1000) / 1000;
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/** Counts usage per window; `origin` is the server start on the same clock as `check`'s `now`. */
export class RateLimiter {
  private readonly windowMs: number;
  private window = -1;
  private requests = 0;
  private tokens = 0;

  constructor(
    private readonly profile: RateLimitProfile,
    private readonly origin: number,
  ) {
    this.windowMs = Math.max(1, durationToMs(profile.window));
  }

  /** Admits a request of `tokens` tokens (prompt + answer) at `now`, or refuses it. */
  check(now: number, tokens: number): RateLimitDecision {
    const elapsed = now - this.origin;
    const window = Math.floor(elapsed / this.windowMs);
    if (window !== this.window) {
      this.window = window;
      this.requests = 0;
      this.tokens = 0;
    }
    const resetMs = (window + 1) * this.windowMs - elapsed;
    const { requests: requestLimit, tokens: tokenLimit, drift } = this.profile;
    const usage = Math.max(
      requestLimit === undefined ? 0 : this.requests / requestLimit,
      tokenLimit === undefined ? 0 : this.tokens / tokenLimit,
    );
    const allowed =
      (requestLimit === undefined || this.requests + 1 <= requestLimit) &&
      (tokenLimit === undefined || this.tokens + tokens <= tokenLimit);
    if (allowed) {
      this.requests++;
      this.tokens += tokens;
    }
    const headers: Record<string, string> = {};
    const reset = formatResetDuration(resetMs);
    if (requestLimit !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(requestLimit);
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, requestLimit - this.requests));
      headers['x-ratelimit-reset-requests'] = reset;
    }
    if (tokenLimit !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tokenLimit);
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tokenLimit - this.tokens));
      headers['x-ratelimit-reset-tokens'] = reset;
    }
    if (!allowed) {
      headers['retry-after'] = String(Math.max(1, Math.ceil(resetMs / 1000)));
      headers['retry-after-ms'] = String(Math.ceil(resetMs));
    }
    let delayMs = 0;
    if (allowed && drift !== undefined && usage > drift.from) {
      delayMs = (drift.max_delay_ms * Math.min(1, (usage - drift.from) / (1 - drift.from))) | 0;
    }
    return { allowed, headers, delayMs };
  }
}
