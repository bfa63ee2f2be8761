/**
 * @module metrics/aggregator
 * Folds request records into run totals, per-scenario and per-window
 * statistics. The result depends only on the sequence of `add`/`addDropped`
 * calls and the meta passed to `snapshot`, so `tokenstorm report` rebuilds a
 * live run's numbers exactly from records.jsonl.
 */
import { isGood, type RequestSlo } from './goodput.js';
import type { MetricHistogram } from './histogram.js';
import type { RequestRecord } from './record.js';
import {
  METRIC_NAMES,
  type MetricName,
  type RunMeta,
  type ScenarioSummary,
  type SummaryCore,
} from './summary-core.js';
import { Tally } from './tally.js';
import { WindowSeries } from './window-series.js';

export interface RunAggregatorOptions {
  /** Width of a time window in ms (default 1000). */
  windowMs?: number;
  /** Per-request SLOs for goodput; none means every ok request is good. */
  slos?: readonly RequestSlo[];
}

function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

export class RunAggregator {
  readonly windowMs: number;
  readonly #slos: readonly RequestSlo[];
  readonly #total = new Tally();
  readonly #scenarios = new Map<string, Tally>();
  readonly #windows: WindowSeries;

  constructor(options: RunAggregatorOptions = {}) {
    const windowMs = options.windowMs ?? 1000;
    if (!(windowMs > 0 && Number.isFinite(windowMs))) {
      throw new Error(`windowMs must be a positive number, got ${String(options.windowMs)}`);
    }
    this.windowMs = windowMs;
    this.#slos = options.slos ?? [];
    this.#windows = new WindowSeries(windowMs);
  }

  /** Adds one completed request attempt (in the order records.jsonl holds them). */
  add(record: RequestRecord): void {
    const good = isGood(record, this.#slos);
    this.#total.add(record, good);
    this.#scenario(record.scenario).add(record, good);
    this.#windows.add(record, good);
  }

  /** Counts `n` arrivals the executor could not start in time, at run time `atMs`. */
  addDropped(atMs: number, n = 1, scenario?: string): void {
    this.#total.addDropped(n);
    if (scenario !== undefined) this.#scenario(scenario).addDropped(n);
    this.#windows.addDropped(atMs, n);
  }

  /**
   * The histogram of a metric over the whole run or one scenario, for any
   * percentile (e.g. p99.9); undefined when nothing was recorded in it.
   */
  histogram(metric: string, scenario?: string): MetricHistogram | undefined {
    if (!isMetricName(metric)) return undefined;
    const tally = scenario === undefined ? this.#total : this.#scenarios.get(scenario);
    return tally?.histogram(metric);
  }

  /** The measured part of summary.json. */
  snapshot(meta: RunMeta): SummaryCore {
    const order = [...(meta.scenarios ?? [])];
    for (const name of this.#scenarios.keys()) if (!order.includes(name)) order.push(name);
    // fromEntries defines own properties, so even a scenario named `__proto__` is kept as data.
    const scenarios: Record<string, ScenarioSummary> = Object.fromEntries(
      order.map((name) => {
        const tally = this.#scenarios.get(name) ?? new Tally();
        const summary: ScenarioSummary = {
          counts: tally.counts(),
          metrics: tally.metrics(),
          rates: tally.rates(meta.durationS),
        };
        return [name, summary];
      }),
    );
    return {
      startedAt: meta.startedAt,
      durationS: meta.durationS,
      counts: this.#total.counts(),
      metrics: this.#total.metrics(),
      rates: this.#total.rates(meta.durationS),
      tokens: { ...this.#total.tokens },
      scenarios,
      windows: this.#windows.summaries(),
    };
  }

  #scenario(name: string): Tally {
    let tally = this.#scenarios.get(name);
    if (tally === undefined) {
      tally = new Tally();
      this.#scenarios.set(name, tally);
    }
    return tally;
  }
}
