/**
 * @module metrics/summary-core
 * The shapes of what the aggregator reports: the measured part of
 * `summary.json` (docs/architecture.md#the-run-directory), before thresholds and the verdict are added.
 */
import type { AgentsSummary } from './agents.js';
import type { HistogramUnit, MetricStats } from './histogram.js';

/** Histogram-backed metrics, in the order `summary.json` lists them. */
export const METRIC_NAMES = [
  'ttft_ms',
  'ttfc_ms',
  'itl_ms',
  'tpot_ms',
  'tpot_reasoning_ms',
  'tpot_content_ms',
  'reasoning_ms',
  'e2e_ms',
  /** From a logical request's first send to its last attempt's end, retry waits included (ok only). */
  'e2e_logical_ms',
  /** From a logical request's first send to the first token of its last attempt (ok model requests). */
  'ttft_logical_ms',
  'ttfb_ms',
  'scheduling_lag_ms',
  'ttft_from_schedule_ms',
  'e2e_from_schedule_ms',
  'input_tokens',
  'output_tokens',
  'reasoning_tokens',
  /** What each request cost in USD (metrics/cost): requests of a priced model that were charged. */
  'cost_usd',
] as const;
export type MetricName = (typeof METRIC_NAMES)[number];

/** Metrics that always appear in `metrics`, as zeros when nothing was measured. */
export const CORE_METRICS: readonly MetricName[] = ['ttft_ms', 'itl_ms', 'tpot_ms', 'e2e_ms'];

export function unitOf(metric: MetricName): HistogramUnit {
  if (metric.endsWith('_usd')) return 'usd';
  return metric.endsWith('_tokens') ? 'count' : 'ms';
}

/** Count names a threshold may use (`errors: ['count < 10']`). */
export const COUNT_NAMES = ['requests', 'ok', 'errors', 'cancelled', 'dropped'] as const;
export type CountName = (typeof COUNT_NAMES)[number];

/** Rate names a threshold may use (`error_rate: ['< 0.01']`). */
export const RATE_NAMES = [
  'requests_per_s',
  'ok_per_s',
  'output_tokens_per_s',
  'input_tokens_per_s',
  'goodput_per_s',
  /** Percent of attempted requests (cancellations aside) that met every SLO. */
  'goodput_pct',
  'error_rate',
  /** Attempts ÷ logical requests (1 without retries): a retry storm shows here. */
  'retry_amplification',
] as const;
export type RateName = (typeof RATE_NAMES)[number];

/** What the engine knows about the run beyond its records. */
export interface RunMeta {
  name: string;
  /** ISO-8601 time the run started. */
  startedAt: string;
  /** The measured duration that rates are computed over. */
  durationS: number;
  /** Declared scenario names: each appears in `scenarios` (in this order) even without records. */
  scenarios?: readonly string[];
}

/** `requests` = records = ok + errors + cancelled; `dropped` arrivals are not records. */
export interface Counts {
  requests: number;
  ok: number;
  errors: number;
  cancelled: number;
  dropped: number;
  /** Errors by kind; only kinds that occurred, in the order of `ERROR_KINDS`. */
  byError: Record<string, number>;
}

/** Rates of `embedding:` steps: vectors and embedded input tokens per second (only when there were any). */
export const EMBEDDING_RATE_NAMES = ['vectors_per_s', 'embedding_tokens_per_s'] as const;
export type EmbeddingRateName = (typeof EMBEDDING_RATE_NAMES)[number];

/** The rates; an embedding step's adds vectors and embedded input tokens per second (only when there were any). */
export type Rates = Record<RateName, number> & Partial<Record<EmbeddingRateName, number>>;

/**
 * What the users saw under retries: one outcome per logical request (all its
 * attempts), its last attempt's. Without retries it equals the attempt figures.
 */
export interface LogicalSummary {
  /** Logical requests (first attempts). */
  requests: number;
  ok: number;
  errors: number;
  /** Cancelled by the client, or whose retry the run's stop cut. */
  cancelled: number;
  /** Errors of the last attempts, by kind. */
  byError: Record<string, number>;
  /** errors ÷ (requests − cancelled). */
  error_rate: number;
  ok_per_s: number;
  goodput_per_s: number;
  /** Percent of logical requests (cancellations aside) that ended ok and met every SLO, retry waits included. */
  goodput_pct: number;
}

/** Names a threshold may use for logical figures (`logical.error_rate: ['< 0.01']`). */
export const LOGICAL_RATE_NAMES = [
  'logical.error_rate',
  'logical.ok_per_s',
  'logical.goodput_per_s',
  'logical.goodput_pct',
] as const;
export const LOGICAL_COUNT_NAMES = [
  'logical.requests',
  'logical.ok',
  'logical.errors',
  'logical.cancelled',
] as const;

export type MetricsSummary = Partial<Record<MetricName, MetricStats>>;

/** Token accounting over ok model records: the server's `usage` and the client's tokenizer. */
export interface TokenTotals {
  output_server: number;
  output_client: number;
  input_server: number;
  input_client: number;
  /** Records with both an output count from the server and from the client, and the two differ. */
  mismatched_requests: number;
}

/** How often one check (or all of them) passed: `rate` = passes / (passes + fails). */
export interface CheckCounts {
  passes: number;
  fails: number;
  rate: number;
}

/** Step checks (`checks:` on model steps): all evaluations, and by check name. Absent where none ran. */
export interface ChecksSummary extends CheckCounts {
  byCheck: Record<string, CheckCounts>;
}

export interface ScenarioSummary {
  counts: Counts;
  metrics: MetricsSummary;
  rates: Rates;
  logical: LogicalSummary;
  /** Multi-turn sessions only: TTFT and context length by turn (`"1"`, `"2"`, …). */
  turns?: Record<string, ContextStats>;
  /** Multi-turn sessions only: TTFT by context length, in power-of-two token buckets. */
  context?: ContextBucketStats[];
  checks?: ChecksSummary;
}

/** One step's figures: its name is its `name:`, else `<kind>:<index>` (index in its scenario, from 0). */
export interface StepSummary {
  kind: string;
  counts: Counts;
  metrics: MetricsSummary;
  rates: Rates;
  logical: LogicalSummary;
  checks?: ChecksSummary;
}

/** TTFT (ok model requests) and context tokens of a group of session requests. */
export interface ContextStats {
  requests: number;
  context_tokens: { mean: number; max: number };
  ttft_ms: Quantiles & { count: number; mean: number };
}

/** One context-length bucket: `[min_tokens, max_tokens)`. */
export interface ContextBucketStats extends ContextStats {
  min_tokens: number;
  max_tokens: number;
}

export interface Quantiles {
  p50: number;
  p95: number;
  p99: number;
}

/**
 * A window's load and throughput per second, named as a stage's `flow`, each by its own clock:
 * `offered_per_s` arrivals the load model scheduled in the window (first attempts by `scheduled`,
 * and dropped arrivals; retries are not offered load), `sent_per_s` attempts by `sent` (retries
 * included), `completed_per_s` (the throughput: ok or error, not cancelled), `ok_per_s` and
 * `goodput_per_s` (ok and within every SLO) by `end`. Under saturation offered runs ahead of completed.
 */
export interface WindowFlow {
  offered_per_s: number;
  sent_per_s: number;
  completed_per_s: number;
  ok_per_s: number;
  goodput_per_s: number;
}

/**
 * One time window of the run, `start_s` seconds after its start. Its counts (`requests`, `ok`,
 * `errors`, …) and latencies are of the attempts that ended in it; `flow` counts each by its clock.
 */
export interface WindowSummary {
  start_s: number;
  requests: number;
  ok: number;
  errors: number;
  cancelled: number;
  dropped: number;
  /** Attempts after a logical request's first (retries): in `requests`, not arrivals of the load model. */
  retries: number;
  /** Always written now; absent in summaries written before windows counted each flow by its own clock. */
  flow?: WindowFlow;
  output_tokens: number;
  byError: Record<string, number>;
  ttft_ms: Quantiles;
  e2e_ms: Quantiles;
  itl_ms: Quantiles;
  scheduling_lag_ms: { p99: number; max: number };
  checks?: ChecksSummary;
  /** Most VUs active at once in the window, as the workers reported them (added from run.json's samples). */
  active_vus?: number;
}

export interface SummaryCore {
  startedAt: string;
  durationS: number;
  counts: Counts;
  metrics: MetricsSummary;
  rates: Rates;
  logical: LogicalSummary;
  tokens: TokenTotals;
  /** The per-request SLOs goodput was judged by; empty: every ok request counted as good. */
  slo: Partial<Record<string, number>>;
  scenarios: Record<string, ScenarioSummary>;
  /** Every step by name (`name:` of the step, else `<kind>:<index>`), across scenarios. */
  steps: Record<string, StepSummary>;
  windows: WindowSummary[];
  /** Per-stage aggregates, when the load has stages (records by their `scheduled` time). */
  stages?: StageSummary[];
  /** By the model that answered (records' `model`), most traffic first; absent when no record has one. */
  models?: Record<string, ModelSummary>;
  /** Each stage's requests, share and cost by model (routing under load), when the load has stages. */
  model_stages?: StageModels[];
  /** Step checks over the run, when any ran (per scenario, step, stage and window beside theirs). */
  checks?: ChecksSummary;
  /** Agent tasks (`agent:` steps), when there were any (metrics/agents.ts). */
  agents?: AgentsSummary;
}

/**
 * A stage's load and throughput, per second of the stage, named apart:
 * `offered_per_s` arrivals scheduled (first attempts and dropped arrivals), `sent_per_s` attempts
 * sent (retries included), both by scheduled time; `completed_per_s` (the throughput: ok or error),
 * `ok_per_s` and `goodput_per_s` (ok and within every SLO) by the time they ended.
 */
export interface StageFlow {
  offered_per_s: number;
  sent_per_s: number;
  completed_per_s: number;
  ok_per_s: number;
  goodput_per_s: number;
}

/** A labelled span of the load, run-clock ms. */
export interface StageSpan {
  name: string;
  startMs: number;
  endMs: number;
  /** The load at the end of the stage: arrivals/s or VUs. */
  target?: number;
  /** A sweep step's warm-up, left out of its measurement. */
  warmup?: boolean;
}

/** `counts` carry `good` (requests that met every SLO) beside the usual counts. */
export interface StageMeasurement {
  counts: Counts & { good: number };
  metrics: MetricsSummary;
  rates: Rates;
}

/** One entry of `summary.json` → `stages`; `start`/`end` in seconds from the run's start. */
export interface StageSummary extends StageMeasurement {
  name: string;
  start: number;
  end: number;
  /** Offered and sent load against throughput (see {@link StageFlow}); `rates` are of the requests scheduled in it. */
  flow: StageFlow;
  target?: number;
  warmup?: boolean;
  checks?: ChecksSummary;
}

/** One model's figures in summary.json `models`. */
export interface ModelSummary {
  counts: Counts;
  /** Share of all request attempts that have a model. */
  share: number;
  metrics: MetricsSummary;
  /** Requests that are billed (an answer came back, or the server reported usage). */
  billable: number;
  /** Of those, the ones priced by the price table (the rest are unpriced: their model is not in it). */
  priced: number;
  /** Of the priced, the ones billed by the client's token count (no `usage` from the server). */
  estimated: number;
  /** USD of the priced requests. */
  cost_usd: number;
}

/** One stage's traffic by model: attempts, their share, and their USD. */
export interface StageModels {
  stage: string;
  start: number;
  end: number;
  requests: Record<string, number>;
  share: Record<string, number>;
  cost_usd: Record<string, number>;
}
