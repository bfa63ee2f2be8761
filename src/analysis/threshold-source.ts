/**
 * @module analysis/threshold-source
 * What thresholds are evaluated against: histograms for any percentile, and
 * the counts and rates of the summary (so a threshold sees what is reported).
 */
import type { Counts, PercentileSource, Rates, SummaryCore } from '../metrics/index.js';
import { COUNT_NAMES, RATE_NAMES } from '../metrics/index.js';

/** Histograms by metric and scenario; `RunAggregator` satisfies it. */
export interface HistogramLookup {
  histogram(metric: string, scenario?: string): PercentileSource | undefined;
}

export interface ThresholdSource extends HistogramLookup {
  /** The measured duration, for `rate` of a count. */
  readonly durationS: number;
  /** Whether the run (no scenario) or the named scenario exists. */
  hasScenario(scenario: string | undefined): boolean;
  /** A count (`errors`) or rate (`error_rate`); undefined when it has no meaning (no scenario, nothing attempted). */
  value(name: string, scenario?: string): number | undefined;
}

function lookup(counts: Counts, rates: Rates, name: string): number | undefined {
  if ((COUNT_NAMES as readonly string[]).includes(name)) return counts[name as keyof Omit<Counts, 'byError'>];
  if (!(RATE_NAMES as readonly string[]).includes(name)) return undefined;
  // An error rate over zero attempts is not 0%: there is nothing to judge.
  if (name === 'error_rate' && counts.requests - counts.cancelled === 0) return undefined;
  return rates[name as keyof Rates];
}

/** Combines an aggregator's histograms with the summary computed from it. */
export function createThresholdSource(histograms: HistogramLookup, core: SummaryCore): ThresholdSource {
  const part = (scenario: string | undefined) =>
    scenario === undefined
      ? core
      : Object.hasOwn(core.scenarios, scenario)
        ? core.scenarios[scenario]
        : undefined;
  return {
    durationS: core.durationS,
    histogram: (metric, scenario) => histograms.histogram(metric, scenario),
    hasScenario: (scenario) => part(scenario) !== undefined,
    value: (name, scenario) => {
      const p = part(scenario);
      return p === undefined ? undefined : lookup(p.counts, p.rates, name);
    },
  };
}
