/**
 * @module core/record
 * The unit of measurement: one line of `records.jsonl` per request attempt.
 * Everything in `summary.json` is computed from these, so a run directory's
 * records are enough to rebuild it exactly.
 */

/** Error kinds of docs/architecture.md#the-run-directory. A client-side cancellation is not an error. */
export const ERROR_KINDS = [
  'rate_limited',
  /** The server says it is overloaded: HTTP 529 (Anthropic), or an `overloaded_error` event in a stream. */
  'overloaded',
  'http_3xx',
  'http_4xx',
  'http_5xx',
  'timeout',
  'connection',
  'stream_error',
  'truncated',
  'check_failed',
  /** The test's own code failed before sending (a flow threw, a template or request could not be built). */
  'script_error',
  /** A feeder row that cannot be read (the run then stops). */
  'data_error',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/**
 * What a step talked to: the name of its kind in protocols/steps (`chat`, `completion`, `http`,
 * or a plugin's); `script`: nothing was sent (a `script_error`).
 */
export type StepKind = 'chat' | 'completion' | 'http' | 'script' | (string & {});

/**
 * Kinds whose records feed the model metrics: filled by the list of step kinds as they register.
 * The built-in model kinds are here from the start, so records read where the list is not loaded
 * (metrics alone, a report rebuilt from a run directory) count the same; a test in
 * protocols/steps checks this agrees with the list.
 */
const modelKinds = new Set<string>(['chat', 'completion', 'messages', 'response']);

/** Called by `registerStepKind` (protocols/steps) for each model kind; metrics know no kind by name. */
export function addModelKind(kind: string): void {
  modelKinds.add(kind);
}

/** A model step's kind (TTFT, ITL, TPOT and token counts apply). */
export function isModelKind(kind: string): boolean {
  return modelKinds.has(kind);
}

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
  /**
   * Under a retry policy, only on the last attempt of a logical request (the
   * one not followed by another): when its first attempt was sent. A record
   * without `attempt` is a logical request of its own; one with `attempt` and
   * without this was retried (or its retry was cut by the run's stop).
   */
  logicalSent?: number;
  /** Turn of a multi-turn session, from 1. */
  turn?: number;
  /** Tokens of the conversation this request sent (client's tokenizer), for TTFT against context length. */
  contextTokens?: number;
  outcome: Outcome;
  error?: ErrorKind;
  /**
   * Human-readable cause of an error or cancellation (never contains credentials); on an ok
   * record, why it was sent again (a reused connection the server closed under it).
   */
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
  /** Time to first content: from `sent` to the first visible answer chunk (after any reasoning). */
  ttfcMs?: number;
  /** Reasoning tokens: `usage.completion_tokens_details.reasoning_tokens`, else the reasoning chunks received. */
  reasoningTokens?: number;
  /** From the first reasoning chunk to the first content chunk (or the last reasoning chunk without content). */
  reasoningMs?: number;
  /** TPOT of the reasoning phase: first to last reasoning chunk over (reasoning tokens − 1). */
  tpotReasoningMs?: number;
  /** TPOT of the answer: first content chunk to the end over (output − reasoning tokens − 1). */
  tpotContentMs?: number;
  /** Redirects followed before the final response, in order (absent when none). */
  redirects?: RedirectHop[];
  /** An embedding step's vectors returned (its batch size when it succeeded). */
  vectors?: number;
  /** The response's `Content-Encoding`, when it had one (gzip, deflate and br are decoded). */
  encoding?: string;
  /** The answer's quality sample, on a model step with `quality:` (metrics/quality-tally, analysis/quality). */
  quality?: QualitySample;
  /**
   * The model that answered: the response's `model` field, or the test's `model_header` response
   * header (a gateway naming its upstream), else the model the request asked for (model steps only).
   */
  model?: string;
  /** Prompt tokens the server served from its prefix cache (`usage.prompt_tokens_details.cached_tokens`). */
  cachedInputTokens?: number;
  /** What the request cost in USD by the run's price table (metrics/cost); absent when not charged or not priced. */
  costUsd?: number;
  /** True when `costUsd` counts tokens by the client's tokenizer because the server reported no `usage`. */
  costEstimated?: boolean;
  /**
   * The step's `checks:` that ran on this answer (only on an answer that arrived), each passed
   * or not; a failed one makes the record a `check_failed` error naming it.
   */
  checks?: Record<string, boolean>;
  /**
   * An agent task (an `agent:` step): what the loop did. Such a record is a task, not a request:
   * its model calls and HTTP tool calls have records of their own; metrics count it apart.
   */
  agent?: AgentTask;
}

/** One model answer's quality, as its record carries it (`quality`). */
export interface QualitySample {
  /** Hash of the request body: identical prompts share it (consistency). */
  key: number;
  /** Token-set F1 and ROUGE-L F1 against the step's reference, when it gave one. */
  f1?: number;
  rougeL?: number;
  /** The answer matched a refusal pattern. */
  refusal?: boolean;
  /** The answer's `finish_reason` (`length`: cut by the token limit). */
  finish?: string;
  /** The answer and the reference (first `MAX_QUALITY_TEXT` characters), for consistency, embeddings and the judge. */
  text?: string;
  reference?: string;
}

/** How an agent task ended: a final answer, `max_steps` reached with tools still called, or a failed model call. */
export type AgentEnd = 'answer' | 'max_steps' | 'model_error';

/** One tool call of an agent task (every attempt of the runtime's own retries is one). */
export interface AgentToolCall {
  tool: string;
  /** From the call's start to its result (or to its timeout). */
  ms: number;
  outcome: 'ok' | 'error' | 'timeout';
  /** Attempt under the tool's `retries` policy, from 1. */
  attempt: number;
}

/** What an agent task did (see `RequestRecord.agent`). */
export interface AgentTask {
  /** Model turns answered (each a model call that came back). */
  steps: number;
  /** Model requests sent, retries of failed ones included. */
  modelCalls: number;
  tools: AgentToolCall[];
  end: AgentEnd;
  /** Final answer reached, `max_steps` not hit, and the step's `checks` on the answer passed. */
  success: boolean;
  inputTokens: number;
  outputTokens: number;
}

/** One redirect followed: its status, where it pointed (query left out), and how long the hop took. */
export interface RedirectHop {
  status: number;
  /** The absolute URL it pointed to, without its query or fragment (they may hold secrets). */
  location: string;
  /** From this hop's request being sent to the end of its redirect response. */
  ms: number;
}

/** Rounds a millisecond value to microseconds, so records survive JSON exactly. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Output tokens of a record: the server's count when it gave one, else the client's. */
export function outputTokensOf(r: RequestRecord): number | undefined {
  return r.outputTokens ?? r.outputTokensClient;
}
