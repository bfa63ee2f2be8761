/**
 * @module report/summary
 * The `summary.json` document (schema `tokenstorm.summary/v1`): the measured
 * aggregates plus the threshold verdicts, keys in DESIGN.md §1 order.
 */
import { type ThresholdResult, thresholdsPassed } from '../analysis/index.js';
import type {
  Counts,
  MetricsSummary,
  Rates,
  ScenarioSummary,
  SummaryCore,
  TokenTotals,
  WindowSummary,
} from '../metrics/index.js';

export const SUMMARY_SCHEMA = 'tokenstorm.summary/v1';

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  name: string;
  /** Every blocking threshold passed (true when there are none). */
  passed: boolean;
  startedAt: string;
  durationS: number;
  counts: Counts;
  metrics: MetricsSummary;
  rates: Rates;
  thresholds: ThresholdResult[];
  scenarios: Record<string, ScenarioSummary>;
  tokens: TokenTotals;
  windows: WindowSummary[];
}

/** Assembles the summary; the literal's key order is the JSON key order. */
export function buildSummary(
  name: string,
  core: SummaryCore,
  thresholdResults: readonly ThresholdResult[],
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
  };
}
