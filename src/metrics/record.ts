/**
 * @module metrics/record
 * The unit of measurement: one line of `records.jsonl` per request attempt.
 * Everything in `summary.json` is computed from these, so a run directory's
 * records are enough to rebuild it exactly.
 */

/** Error kinds of DESIGN.md §1. A client-side cancellation is not an error. */
export const ERROR_KINDS = [
  'rate_limited',
  'http_4xx',
  'http_5xx',
  'timeout',
  'connection',
  'stream_error',
  'truncated',
  'check_failed',
  /** A feeder row that cannot be read (the run then stops). */
  'data_error',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** What a step talked to: a model endpoint (chat, completion) or plain HTTP. */
export type StepKind = 'chat' | 'completion' | 'http';

export type Outcome = 'ok' | 'error' | 'cancelled';

/**
 * One request attempt. Times are milliseconds on the run's monotonic clock
 * (0 = run start), rounded to microseconds so a JSON round trip is exact.
 * Durations (`*Ms`) are measured from `sent` unless named `FromSchedule`.
 */
export interface RequestRecord {
  /** Sequence number, unique within the run. */
  id: number;
  scenario: string;
  /** Index of the step in its scenario and a short label, e.g. `chat` or `GET /models`. */
  step: number;
  stepName: string;
  kind: StepKind;
  vu: number;
  iteration: number;
  /** Attempt of this logical request under a retry policy: 1 is the first try; absent means 1. */
  attempt?: number;
  /** Turn of a multi-turn session, from 1. */
  turn?: number;
  /** Tokens of the conversation this request sent (client's tokenizer), for TTFT against context length. */
  contextTokens?: number;
  outcome: Outcome;
  error?: ErrorKind;
  /** Human-readable cause of an error or cancellation (never contains credentials). */
  message?: string;
  status?: number;
  /** When the load model wanted the request sent. */
  scheduled: number;
  /** When the request was handed to the socket (first byte written). */
  sent: number;
  /** When the attempt ended (last byte, error or cancellation). */
  end: number;
  schedulingLagMs: number;
  ttfbMs?: number;
  ttftMs?: number;
  e2eMs?: number;
  tpotMs?: number;
  /** Gaps between consecutive output-bearing chunks (vLLM's ITL). */
  itlMs?: number[];
  /** Output-bearing chunks received. */
  chunks?: number;
  /** Tokens reported by the server's `usage`. */
  inputTokens?: number;
  outputTokens?: number;
  /** Tokens counted by the client's tokenizer (gpt-tokenizer). */
  inputTokensClient?: number;
  outputTokensClient?: number;
}

/** Rounds a millisecond value to microseconds, so records survive JSON exactly. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Output tokens of a record: the server's count when it gave one, else the client's. */
export function outputTokensOf(r: RequestRecord): number | undefined {
  return r.outputTokens ?? r.outputTokensClient;
}
