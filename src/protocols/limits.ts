/**
 * @module protocols/limits
 * How much of one response the client holds: a body, an SSE line or event,
 * a stream's output text. Limits apply as bytes arrive, so a misbehaving
 * server costs at most these per request in flight, however much it sends
 * (docs/limits.md has the memory formula). Set once per thread from the
 * test's `limits` before any request.
 */

const MiB = 1024 * 1024;

export interface ResponseLimits {
  /** Most bytes of a response body read (a stream's output text: half as many characters, at 2 bytes each). */
  maxBodyBytes: number;
  /** Most characters of one SSE line, or of one event's data lines together. */
  maxSseEventBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ResponseLimits> = Object.freeze({
  maxBodyBytes: 16 * MiB,
  maxSseEventBytes: 8 * MiB,
});

/** The limits in force in this thread (read per response, not per chunk). */
export const responseLimits: ResponseLimits = { ...DEFAULT_LIMITS };

/** Sets the limits for every response read after this in this thread. */
export function setResponseLimits(limits: Partial<ResponseLimits>): void {
  responseLimits.maxBodyBytes = limits.maxBodyBytes ?? DEFAULT_LIMITS.maxBodyBytes;
  responseLimits.maxSseEventBytes = limits.maxSseEventBytes ?? DEFAULT_LIMITS.maxSseEventBytes;
}

/** Gaps a failed or cancelled stream's record keeps (its first ones); an ok stream's keeps all. */
export const MAX_RECORD_GAPS = 10_000;
