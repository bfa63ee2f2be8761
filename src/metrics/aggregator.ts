/**
 * @module metrics/aggregator
 * Folds request records into run totals, per-scenario and per-window
 * statistics. The result depends only on the sequence of `add`/`addDropped`
 * calls and the meta passed to `snapshot`, so `tokenstorm report` rebuilds a
 * live run's numbers exactly from records.jsonl.
 * Here each record goes to every tally that counts it (scenario and step,
 * sessions, windows, stages, models, threshold selectors, agent tasks) and
 * the measured part of summary.json is assembled from them; the scenario and
 * step bookkeeping itself is metrics/scenario-tallies.
 */

import type { RequestRecord } from '../core/index.js';
import { type AgentsState, AgentTally } from './agents.js';
import { type ContextState, ContextTally } from './context-stats.js';
import { isGood, isGoodLogical, type RequestSlo } from './goodput.js';
import type { MetricHistogram } from './histogram.js';
import { type ModelSummary, type ModelsState, ModelTallies, type StageModels } from './models.js';
import { type QualityRow, QualityTally } from './quality-tally.js';
import { groupSummary, ScenarioTallies, type ScenarioTalliesState } from './scenario-tallies.js';
import { matches, type Selector, type StepLabelLookup } from './selectors.js';
import { SlowestRequests, type SlowRequest } from './slowest.js';
import { type StagesState, StageTallies } from './stages.js';
import {
  METRIC_NAMES,
  type MetricName,
  type RunMeta,
  type ScenarioSummary,
  type StageMeasurement,
  type StageSpan,
  type StepSummary,
  type SummaryCore,
} from './summary-core.js';
import { Tally, type TallyState } from './tally.js';
import { WindowSeries, type WindowsState } from './window-series.js';

/**
 * What a {@link RunAggregator} counted, as plain data that crosses threads
 * (structured clone): histograms as buckets, every counter exact. Merging it
 * into another aggregator gives the same numbers as adding the records.
 */
export interface AggregateState extends ScenarioTalliesState {
  contexts: [string, ContextState][];
  windows: WindowsState;
  slowest: RequestRecord[];
  stages: StagesState;
  /** Quality samples of answers (model steps with `quality:`); absent when none. */
  quality?: QualityRow[];
  /** By the model that answered (absent from states made before records had a model). */
  models?: ModelsState;
  /** Tallies of the records each threshold selector picks, by selector key (absent without selectors). */
  selected?: [string, TallyState][];
  /** Agent tasks (records with `agent`), when there were any. */
  agents?: AgentsState;
}

export interface RunAggregatorOptions {
  /** Width of a time window in ms (default 1000). */
  windowMs?: number;
  /** Per-request SLOs for goodput; none means every ok request is good. */
  slos?: readonly RequestSlo[];
  /** Stages known ahead (run-clock ms); more can be added while running with `addStage`. */
  stages?: readonly StageSpan[];
  /** Threshold selectors that need a tally of their own, by key (metrics/selectors `ownTallySelectors`). */
  selectors?: ReadonlyMap<string, Selector>;
  /** Steps' configured model and tags, for `{model:…}` (until records carry it) and `{tag:…}`. */
  labels?: StepLabelLookup | undefined;
}

function isMetricName(name: string): name is MetricName {
  return (METRIC_NAMES as readonly string[]).includes(name);
}

export class RunAggregator {
  readonly windowMs: number;
  readonly #slos: readonly RequestSlo[];
  /** The run's requests by scenario and step; the run's total is their merge. */
  readonly #tallies = new ScenarioTallies();
  /** Session turns by scenario (only scenarios that ran sessions). */
  readonly #contexts = new Map<string, ContextTally>();
  readonly #windows: WindowSeries;
  readonly #slowest = new SlowestRequests();
  readonly #stages = new StageTallies();
  readonly #quality = new QualityTally();
  readonly #models = new ModelTallies();
  readonly #selectors: [string, Selector, Tally][];
  readonly #labels: StepLabelLookup | undefined;
  /** Agent task records: counted here only (a task is not a request; its calls have records of their own). */
  readonly #agents = new AgentTally();

  constructor(options: RunAggregatorOptions = {}) {
    const windowMs = options.windowMs ?? 1000;
    if (!(windowMs > 0 && Number.isFinite(windowMs))) {
      throw new Error(`windowMs must be a positive number, got ${String(options.windowMs)}`);
    }
    this.windowMs = windowMs;
    this.#slos = options.slos ?? [];
    for (const span of options.stages ?? []) this.#stages.add(span);
    this.#windows = new WindowSeries(windowMs);
    this.#selectors = [...(options.selectors ?? [])].map(([key, s]) => [key, s, new Tally()]);
    this.#labels = options.labels;
  }

  /** Adds one completed request attempt (in the order records.jsonl holds them). */
  add(record: RequestRecord): void {
    if (record.agent !== undefined) {
      this.#agents.add(record, this.#stages.spanAt(record.scheduled));
      return;
    }
    const good = isGood(record, this.#slos);
    const goodLogical = this.#slos.length === 0 ? good : isGoodLogical(record, this.#slos);
    this.#tallies.add(record, good, goodLogical);
    if (record.turn !== undefined) this.#context(record.scenario).add(record);
    this.#windows.add(record, good);
    this.#slowest.add(record);
    this.#stages.at(record.scheduled)?.add(record, good);
    this.#stages.ended(record.end, record.outcome, good);
    if (record.quality !== undefined) this.#quality.add(record);
    if (record.model !== undefined) this.#models.add(record, good, this.#stages.startAt(record.scheduled));
    if (this.#selectors.length > 0) this.#select(record, good, goodLogical);
  }

  #select(record: RequestRecord, good: boolean, goodLogical: boolean): void {
    const stage = this.#stages.refAt(record.scheduled);
    for (const [, selector, tally] of this.#selectors) {
      if (matches(selector, record, stage, this.#labels)) tally.add(record, good, goodLogical);
    }
  }

  /** The tally of the records a selector picks (by `selectorKey`); undefined when no threshold named it. */
  selected(key: string): Tally | undefined {
    return this.#selectors.find(([k]) => k === key)?.[2];
  }

  /** Everything counted so far as plain data (see {@link AggregateState}). */
  encode(): AggregateState {
    return {
      ...this.#tallies.encode(),
      contexts: [...this.#contexts].map(([name, c]) => [name, c.encode()]),
      windows: this.#windows.encode(),
      slowest: this.#slowest.encode(),
      stages: this.#stages.encode(),
      ...(this.#quality.size > 0 ? { quality: this.#quality.encode() } : {}),
      models: this.#models.encode(),
      ...(this.#selectors.length > 0
        ? { selected: this.#selectors.map(([key, , tally]) => [key, tally.encode()] as [string, TallyState]) }
        : {}),
      ...(this.#agents.empty ? {} : { agents: this.#agents.encode() }),
    };
  }

  /**
   * Adds what another aggregator counted (its {@link RunAggregator.encode}),
   * exactly: the result does not depend on how records were split between
   * aggregators or in which order the parts arrive. Stages must be known here
   * first (planned, or announced with `addStage`).
   */
  merge(state: AggregateState): void {
    this.#tallies.merge(state);
    for (const [name, c] of state.contexts) this.#context(name).merge(c);
    this.#windows.merge(state.windows);
    this.#slowest.merge(state.slowest);
    this.#stages.merge(state.stages);
    if (state.quality !== undefined) this.#quality.merge(state.quality);
    if (state.models !== undefined) this.#models.merge(state.models);
    for (const [key, tally] of state.selected ?? []) this.selected(key)?.mergeState(tally);
    if (state.agents !== undefined) this.#agents.merge(state.agents);
  }

  /**
   * The run's total in a state (its scenarios merged, and every dropped arrival), for a live
   * view. Not part of the state itself: a worker made it every second for a view that is
   * mostly off, and at 20,000 requests/s it was half of the 1 ms a worker's state took to
   * encode, on the core that also schedules the arrivals.
   */
  static totalOf(state: AggregateState): Tally {
    return ScenarioTallies.totalOf(state);
  }

  /** Request attempts counted in a state, without decoding it. */
  static requestsIn(state: AggregateState): number {
    return ScenarioTallies.requestsIn(state);
  }

  /** Adds a stage announced while running; records scheduled in it from then on are counted in it. */
  addStage(span: StageSpan): void {
    this.#stages.add(span);
  }

  /** The merged stages within `[fromMs, toMs)` (a sweep step's measurement). */
  measure(fromMs: number, toMs: number): StageMeasurement {
    return this.#stages.measure(fromMs, toMs);
  }

  /** The quality samples so far, by record id (analysis/quality judges them). */
  qualityRows(): QualityRow[] {
    return this.#quality.rows();
  }

  /** The slowest request attempts so far (by duration, any outcome), slowest first. */
  slowest(): SlowRequest[] {
    return this.#slowest.list();
  }

  /** Counts `n` arrivals the executor could not start in time, at run time `atMs`. */
  addDropped(atMs: number, n = 1, scenario?: string): void {
    this.#tallies.addDropped(n, scenario);
    this.#windows.addDropped(atMs, n);
    this.#stages.at(atMs)?.addDropped(n);
  }

  /**
   * The histogram of a metric over the whole run, one scenario or one step
   * (by name, across scenarios), for any percentile (e.g. p99.9); undefined
   * when nothing was recorded in it.
   */
  histogram(metric: string, scenario?: string, step?: string): MetricHistogram | undefined {
    if (!isMetricName(metric)) return undefined;
    const tally =
      step !== undefined
        ? this.#tallies.byStep().get(step)?.tally
        : scenario === undefined
          ? this.#tallies.total()
          : this.#tallies.byScenario().get(scenario);
    return tally?.histogram(metric);
  }

  /** Per-window histograms of `metrics`, encoded, for the run history (see WindowSeries.encodedHistograms). */
  encodedWindows(
    metrics: readonly MetricName[],
  ): { start_s: number; metric: MetricName; histogram: string }[] {
    return this.#windows.encodedHistograms(metrics);
  }

  /** The measured part of summary.json. */
  snapshot(meta: RunMeta): SummaryCore {
    const order = [...(meta.scenarios ?? [])];
    const merged = this.#tallies.byScenario();
    for (const name of merged.keys()) if (!order.includes(name)) order.push(name);
    // fromEntries defines own properties, so even a scenario named `__proto__` is kept as data.
    const scenarios: Record<string, ScenarioSummary> = Object.fromEntries(
      order.map((name) => {
        const summary: ScenarioSummary = groupSummary(merged.get(name) ?? new Tally(), meta.durationS);
        const context = this.#contexts.get(name);
        if (context !== undefined && !context.empty) {
          summary.turns = context.byTurn();
          summary.context = context.byContext();
        }
        return [name, summary];
      }),
    );
    const steps: Record<string, StepSummary> = Object.fromEntries(
      [...this.#tallies.byStep()].map(([name, { kind, tally }]) => [
        name,
        { kind, ...groupSummary(tally, meta.durationS) },
      ]),
    );
    const total = this.#tallies.total();
    const checks = total.checksSummary();
    return {
      startedAt: meta.startedAt,
      durationS: meta.durationS,
      counts: total.counts(),
      metrics: total.metrics(),
      rates: total.rates(meta.durationS),
      logical: total.logicalSummary(meta.durationS),
      tokens: { ...total.tokens },
      slo: Object.fromEntries(this.#slos.map((s) => [s.metric, s.maxMs])),
      scenarios,
      steps,
      windows: this.#windows.summaries(),
      ...(this.#stages.size > 0 ? { stages: this.#stages.summaries() } : {}),
      ...(this.#models.empty ? {} : this.#modelsPart()),
      ...(checks !== undefined ? { checks } : {}),
      ...(this.#agents.empty ? {} : { agents: this.#agents.summary(this.#stages.spans()) }),
    };
  }

  /** Per model, and each stage's traffic by model (summary.json `models`, `model_stages`). */
  #modelsPart(): { models: Record<string, ModelSummary>; model_stages?: StageModels[] } {
    const models = this.#models.summaries();
    if (this.#stages.size === 0) return { models };
    return { models, model_stages: this.#models.byStage(this.#stages.spans()) };
  }

  #context(name: string): ContextTally {
    let tally = this.#contexts.get(name);
    if (tally === undefined) {
      tally = new ContextTally();
      this.#contexts.set(name, tally);
    }
    return tally;
  }
}
