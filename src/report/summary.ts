/**
 * @module report/summary
 * The `summary.json` document (schema `tokenstorm.summary/v1`): the measured
 * aggregates plus the threshold verdicts, keys in the order of docs/architecture.md#the-run-directory, then
 * what the report draws (distributions, slowest requests).
 */
import {
  type Anomaly,
  type AnomalyConcordance,
  type CapacityPlan,
  type CostSummary,
  type QualitySummary,
  type RunComparison,
  type SweepAnalysis,
  type ThresholdResult,
  thresholdsPassed,
} from '../analysis/index.js';
import type {
  AgentsSummary,
  ChecksSummary,
  Counts,
  Distribution,
  LogicalSummary,
  MetricsSummary,
  ModelSummary,
  Rates,
  ScenarioSummary,
  SlowRequest,
  StageModels,
  StageSummary,
  StepSummary,
  SummaryCore,
  TokenTotals,
  WindowSummary,
} from '../metrics/index.js';
import type { NotificationResult } from './notify-delivery.js';

export const SUMMARY_SCHEMA = 'tokenstorm.summary/v1';

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  name: string;
  /** Every blocking threshold passed (true when there are none) in a complete run; false in an incomplete one. */
  passed: boolean;
  /** The run ended as planned: not killed, interrupted or cut short by a terminated worker (set by the CLI). */
  complete?: boolean;
  /** How an incomplete run ended, e.g. `killed after 1.4 s of 8 s`. */
  incomplete?: string;
  /** The `abortOnFail` threshold that stopped the run: `metric expr`, its value then, and when (s). */
  aborted?: { threshold: string; metric: string; expr: string; value: number; at_s: number };
  startedAt: string;
  durationS: number;
  counts: Counts;
  metrics: MetricsSummary;
  rates: Rates;
  /** One outcome per logical request (all its attempts): what users saw under retries. */
  logical: LogicalSummary;
  /** The per-request SLOs goodput was judged by; empty when the test has none (every ok request is good). */
  slo: Partial<Record<string, number>>;
  thresholds: ThresholdResult[];
  scenarios: Record<string, ScenarioSummary>;
  /** Every step by name (its `name:`, else `<kind>:<index>`), across scenarios. */
  steps: Record<string, StepSummary>;
  tokens: TokenTotals;
  windows: WindowSummary[];
  /** Percentile ladders of TTFT, ITL, TPOT and E2E from the full-run histograms (CDF charts). */
  distributions: Partial<Record<string, Distribution>>;
  /** The slowest request attempts, slowest first. */
  slowest: SlowRequest[];
  /** Per-stage aggregates of a staged load (ramps, shapes, sweep steps). */
  stages?: StageSummary[];
  /** Answer quality by stage and window, and whether it fell as load rose (analysis/quality). */
  quality?: QualitySummary;
  /** Agent tasks: steps, model calls, success, task latency, tools, amplification per stage (docs/agents.md). */
  agents?: AgentsSummary;
  /** The offered load per second, planned ahead: arrivals/s or VUs. */
  plan?: OfferedPlan;
  /** A capacity sweep's steps, capacity, knee and what degraded first. */
  sweep?: SweepAnalysis;
  /** Step checks' pass rates over the run (by check); scenarios, steps, stages and windows carry theirs. */
  checks?: ChecksSummary;
  /** Advisory: windows where a series left its recent band, with likely causes (analysis/anomalies). */
  anomalies?: Anomaly[];
  /** How the anomalies agree with the static thresholds. */
  anomaly_concordance?: AnomalyConcordance;
  /** Webhook deliveries of the test's `notify:` (added at the end of `tokenstorm run`; webhooks by redacted label). */
  notifications?: NotificationResult[];
  /** The test's `compare:` verdict against its baseline from the run history (set by `tokenstorm run`). */
  compare?: RunComparison;
  /** By the model that answered: counts, latency, tokens and cost (docs/cost.md). */
  models?: Record<string, ModelSummary>;
  /** Each stage's traffic by model: routing under load. */
  model_stages?: StageModels[];
  /** What the run cost by the price table, and whether cost per request grows with load (docs/cost.md). */
  cost?: CostSummary;
  /** Replicas and cost for the test's `plan:` target load. */
  capacity_plan?: CapacityPlan;
}

/** The planned load per second (`series[i].value` in `[start_s, start_s + 1)`). */
export interface OfferedPlan {
  unit: 'iterations_per_s' | 'vus';
  series: { start_s: number; value: number }[];
}

/** What the report draws beyond the core: computed by metrics/ from the aggregator. */
export interface SummaryExtras {
  distributions?: Partial<Record<string, Distribution>>;
  slowest?: SlowRequest[];
  plan?: OfferedPlan | undefined;
  sweep?: SweepAnalysis | undefined;
  quality?: QualitySummary | undefined;
  cost?: CostSummary | undefined;
  capacity_plan?: CapacityPlan | undefined;
}

/** Assembles the summary; the literal's key order is the JSON key order. */
export function buildSummary(
  name: string,
  core: SummaryCore,
  thresholdResults: readonly ThresholdResult[],
  extras: SummaryExtras = {},
): Summary {
  return {
    schema: SUMMARY_SCHEMA,
    name,
    passed: thresholdsPassed(thresholdResults),
    startedAt: core.startedAt,
    durationS: core.durationS,
    counts: core.counts,
    metrics: core.metrics,
    rates: core.rates,
    thresholds: [...thresholdResults],
    scenarios: core.scenarios,
    tokens: core.tokens,
    windows: core.windows,
    logical: core.logical,
    steps: core.steps,
    slo: core.slo,
    distributions: extras.distributions ?? {},
    slowest: extras.slowest ?? [],
    ...(core.stages !== undefined ? { stages: core.stages } : {}),
    ...(extras.quality !== undefined ? { quality: extras.quality } : {}),
    ...(core.checks !== undefined ? { checks: core.checks } : {}),
    ...(core.agents !== undefined ? { agents: core.agents } : {}),
    ...(extras.plan !== undefined ? { plan: extras.plan } : {}),
    ...(extras.sweep !== undefined ? { sweep: extras.sweep } : {}),
    ...(core.models !== undefined ? { models: core.models } : {}),
    ...(core.model_stages !== undefined ? { model_stages: core.model_stages } : {}),
    ...(extras.cost !== undefined ? { cost: extras.cost } : {}),
    ...(extras.capacity_plan !== undefined ? { capacity_plan: extras.capacity_plan } : {}),
  };
}
