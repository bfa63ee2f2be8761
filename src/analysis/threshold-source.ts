/**
 * @module analysis/threshold-source
 * What thresholds are evaluated against: histograms for any percentile, and
 * the counts and rates of the summary (so a threshold sees what is reported).
 */
import type {
  ChecksSummary,
  Counts,
  LogicalSummary,
  PercentileSource,
  Rates,
  SummaryCore,
  Tally,
} from '../metrics/index.js';
import {
  COUNT_NAMES,
  EMBEDDING_RATE_NAMES,
  type EmbeddingRateName,
  METRIC_NAMES,
  type MetricName,
  RATE_NAMES,
} from '../metrics/index.js';
import { type QualitySummary, qualityValue } from './quality.js';

/** Histograms by metric and scenario or step, and selectors' tallies; `RunAggregator` satisfies it. */
export interface HistogramLookup {
  histogram(metric: string, scenario?: string, step?: string): PercentileSource | undefined;
  /** The tally of the records a selector picks (by metrics/selectors `selectorKey`). */
  selected?(key: string): Tally | undefined;
}

/** The figures of the records one selector picks. */
export interface SelectedPart {
  /** Attempts it picked (0: the threshold has no samples). */
  requests: number;
  histogram(metric: string): PercentileSource | undefined;
  /** A count, rate or `checks` pass rate, as {@link ThresholdSource.value}. */
  value(name: string, check?: string): number | undefined;
}

export interface ThresholdSource {
  histogram(metric: string, scenario?: string, step?: string): PercentileSource | undefined;
  /** The measured duration, for `rate` of a count. */
  readonly durationS: number;
  /** Whether the run (no scenario) or the named scenario exists. */
  hasScenario(scenario: string | undefined): boolean;
  /** Whether a step of this name ran (summary.json `steps`). */
  hasStep(step: string): boolean;
  /**
   * A count (`errors`), rate (`error_rate`) or the `checks` pass rate (of one `check`); undefined
   * when it has no meaning (no scenario, nothing attempted, no check ran).
   */
  value(name: string, scenario?: string, step?: string, check?: string): number | undefined;
  /** The records a selector picks (by its key); undefined when the aggregator kept no tally for it. */
  selected(key: string): SelectedPart | undefined;
}

interface Part {
  counts: Counts;
  rates: Rates;
  logical: LogicalSummary;
  checks?: ChecksSummary | undefined;
}

function lookupLogical(logical: LogicalSummary, field: string): number | undefined {
  if (field === 'error_rate' && logical.requests - logical.cancelled === 0) return undefined;
  if (field === 'byError' || !Object.hasOwn(logical, field)) return undefined;
  const value = logical[field as keyof LogicalSummary];
  return typeof value === 'number' ? value : undefined;
}

function lookup({ counts, rates, logical, checks }: Part, name: string, check?: string): number | undefined {
  if (name === 'checks') {
    if (check === undefined) return checks?.rate;
    const one =
      checks !== undefined && Object.hasOwn(checks.byCheck, check) ? checks.byCheck[check] : undefined;
    return one?.rate;
  }
  if (name.startsWith('logical.')) return lookupLogical(logical, name.slice('logical.'.length));
  if ((COUNT_NAMES as readonly string[]).includes(name)) return counts[name as keyof Omit<Counts, 'byError'>];
  // Absent where no embedding step returned vectors: no data, not 0.
  if ((EMBEDDING_RATE_NAMES as readonly string[]).includes(name)) return rates[name as EmbeddingRateName];
  if (!(RATE_NAMES as readonly string[]).includes(name)) return undefined;
  // An error rate over zero attempts is not 0%: there is nothing to judge.
  if (name === 'error_rate' && counts.requests - counts.cancelled === 0) return undefined;
  return rates[name as keyof Rates];
}

/**
 * Combines an aggregator's histograms with the summary computed from it, and the quality
 * section when the run has one (`quality.*` metrics are of the whole run).
 */
export function createThresholdSource(
  histograms: HistogramLookup,
  core: SummaryCore,
  quality?: QualitySummary,
): ThresholdSource {
  const part = (scenario: string | undefined, step?: string): Part | undefined =>
    step !== undefined
      ? Object.hasOwn(core.steps, step)
        ? core.steps[step]
        : undefined
      : scenario === undefined
        ? core
        : Object.hasOwn(core.scenarios, scenario)
          ? core.scenarios[scenario]
          : undefined;
  return {
    durationS: core.durationS,
    histogram: (metric, scenario, step) => histograms.histogram(metric, scenario, step),
    hasScenario: (scenario) => part(scenario) !== undefined,
    hasStep: (step) => part(undefined, step) !== undefined,
    value: (name, scenario, step, check) => {
      if (name.startsWith('quality.')) {
        return scenario === undefined && step === undefined ? qualityValue(quality, name) : undefined;
      }
      // The sum of the per-request costs (cost_usd) of the run, a scenario or a step.
      if (name === 'cost_total_usd') {
        if (part(scenario, step) === undefined) return undefined;
        const h = histograms.histogram('cost_usd', scenario, step);
        if (h === undefined) return 0;
        const sum = (h as { sum?: unknown }).sum;
        return typeof sum === 'number' ? sum : Math.round(h.mean * h.count * 1e9) / 1e9;
      }
      const p = part(scenario, step);
      return p === undefined ? undefined : lookup(p, name, check);
    },
    selected: (key) => {
      const tally = histograms.selected?.(key);
      if (tally === undefined) return undefined;
      const p: Part = {
        counts: tally.counts(),
        rates: tally.rates(core.durationS),
        logical: tally.logicalSummary(core.durationS),
        checks: tally.checksSummary(),
      };
      return {
        requests: tally.requests,
        histogram: (metric) => (isMetricName(metric) ? tally.histogram(metric) : undefined),
        value: (name, check) => lookup(p, name, check),
      };
    },
  };
}

function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}
