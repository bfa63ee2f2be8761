/**
 * @module metrics/scenario-tallies
 * The run's requests tallied by scenario and step: each record goes to
 * exactly one step's tally; a scenario's tally, a step's across scenarios
 * and the run's total are merges of those, made when read and kept until the
 * next change. Encoded as plain data that merges exactly (see
 * metrics/aggregator's AggregateState).
 * Why apart: the bookkeeping behind the run-wide, per-scenario and per-step
 * figures, which the aggregator's other tallies (windows, stages, models…)
 * do not share.
 */
import type { RequestRecord } from '../core/index.js';
import type { StepSummary } from './summary-core.js';
import { Tally, type TallyState } from './tally.js';

/** One step of one scenario: every record is tallied in exactly one of these. */
export interface StepTally {
  kind: string;
  tally: Tally;
}

/** What {@link ScenarioTallies} counted, as plain data (part of the aggregator's state). */
export interface ScenarioTalliesState {
  /** Dropped arrivals counted without a scenario, which only the total holds. */
  dropped: number;
  /** Per scenario: its dropped arrivals and its steps (name, kind, tally). */
  scenarios: [string, number, [string, string, TallyState][]][];
}

/** The figures of a group of requests (a scenario or a step) over a run of `durationS` seconds. */
export function groupSummary(tally: Tally, durationS: number): Omit<StepSummary, 'kind'> {
  const summary: Omit<StepSummary, 'kind'> = {
    counts: tally.counts(),
    metrics: tally.metrics(),
    rates: tally.rates(durationS),
    logical: tally.logicalSummary(durationS),
  };
  const checks = tally.checksSummary();
  if (checks !== undefined) summary.checks = checks;
  return summary;
}

export class ScenarioTallies {
  /**
   * Every record is in exactly one scenario's tally, so the run's total is
   * their merge (plus dropped arrivals without a scenario), made when read.
   * Tallying it per record too cost a third of the histogram work of a
   * plain-HTTP request (four values of ten).
   */
  #total: Tally | undefined;
  #droppedWithoutScenario = 0;
  /** By scenario, then step name. A scenario's tally is the merge of its steps', made when read. */
  readonly #scenarios = new Map<string, Map<string, StepTally>>();
  readonly #scenarioDropped = new Map<string, number>();
  /** The scenarios' merged tallies (see `#scenarios`), kept until the next change. */
  #merged: Map<string, Tally> | undefined;
  /** The steps merged across scenarios by name, kept likewise. */
  #byStep: Map<string, StepTally> | undefined;

  /** Adds one request attempt to its scenario's step. */
  add(record: RequestRecord, good: boolean, goodLogical: boolean): void {
    this.#changed();
    this.#step(record).add(record, good, goodLogical);
  }

  /** Counts `n` dropped arrivals, in their scenario's tally when known (the total's in any case). */
  addDropped(n: number, scenario?: string): void {
    this.#changed();
    if (scenario !== undefined) this.#addScenarioDropped(scenario, n);
    else this.#droppedWithoutScenario += n;
  }

  encode(): ScenarioTalliesState {
    return {
      dropped: this.#droppedWithoutScenario,
      scenarios: [...new Set([...this.#scenarios.keys(), ...this.#scenarioDropped.keys()])].map((name) => [
        name,
        this.#scenarioDropped.get(name) ?? 0,
        [...(this.#scenarios.get(name) ?? [])].map(([step, s]) => [step, s.kind, s.tally.encode()]),
      ]),
    };
  }

  /** Adds what another one counted (its `encode()`), exactly. */
  merge(state: ScenarioTalliesState): void {
    this.#changed();
    this.#droppedWithoutScenario += state.dropped;
    for (const [name, dropped, steps] of state.scenarios) {
      this.#addScenarioDropped(name, dropped);
      for (const [step, kind, t] of steps) this.#stepOf(name, step, kind).mergeState(t);
    }
  }

  /** The run's total in a state (its scenarios merged, and every dropped arrival), without decoding the rest. */
  static totalOf(state: ScenarioTalliesState): Tally {
    const total = new Tally([]);
    for (const [, dropped, steps] of state.scenarios) {
      total.addDropped(dropped);
      for (const [, , t] of steps) total.mergeState(t);
    }
    total.addDropped(state.dropped);
    return total;
  }

  /** Request attempts counted in a state, without decoding it. */
  static requestsIn(state: ScenarioTalliesState): number {
    let n = 0;
    for (const [, , steps] of state.scenarios) for (const [, , t] of steps) n += Tally.requestsIn(t);
    return n;
  }

  /** The run's total (see the note on `#total`), kept until the next change. */
  total(): Tally {
    if (this.#total === undefined) {
      const total = new Tally();
      for (const tally of this.byScenario().values()) total.merge(tally);
      total.addDropped(this.#droppedWithoutScenario);
      this.#total = total;
    }
    return this.#total;
  }

  /** Each scenario's tally: its steps' merged, and its dropped arrivals. */
  byScenario(): Map<string, Tally> {
    if (this.#merged === undefined) {
      const merged = new Map<string, Tally>();
      for (const [name, steps] of this.#scenarios) {
        const tally = new Tally();
        for (const s of steps.values()) tally.merge(s.tally);
        merged.set(name, tally);
      }
      for (const [name, dropped] of this.#scenarioDropped) {
        let tally = merged.get(name);
        if (tally === undefined) {
          tally = new Tally();
          merged.set(name, tally);
        }
        tally.addDropped(dropped);
      }
      this.#merged = merged;
    }
    return this.#merged;
  }

  /** Every step by name, merged across scenarios (in the order first seen), as k6 tags by name. */
  byStep(): Map<string, StepTally> {
    if (this.#byStep !== undefined) return this.#byStep;
    const out = new Map<string, StepTally>();
    for (const steps of this.#scenarios.values()) {
      for (const [name, s] of steps) {
        const seen = out.get(name);
        if (seen === undefined) out.set(name, { kind: s.kind, tally: s.tally });
        else {
          const tally = new Tally();
          tally.merge(seen.tally);
          tally.merge(s.tally);
          out.set(name, { kind: seen.kind, tally });
        }
      }
    }
    this.#byStep = out;
    return out;
  }

  /** Every merged view is stale after a change. */
  #changed(): void {
    this.#total = undefined;
    this.#merged = undefined;
    this.#byStep = undefined;
  }

  #addScenarioDropped(name: string, n: number): void {
    if (n === 0 && this.#scenarioDropped.has(name)) return;
    this.#scenarioDropped.set(name, (this.#scenarioDropped.get(name) ?? 0) + n);
  }

  /** The tally of a record's step (the hot path: two map lookups). */
  #step(r: RequestRecord): Tally {
    const steps = this.#scenarios.get(r.scenario);
    const s = steps?.get(r.stepName);
    return s !== undefined ? s.tally : this.#stepOf(r.scenario, r.stepName, r.kind);
  }

  #stepOf(scenario: string, step: string, kind: string): Tally {
    let steps = this.#scenarios.get(scenario);
    if (steps === undefined) {
      steps = new Map();
      this.#scenarios.set(scenario, steps);
    }
    let s = steps.get(step);
    if (s === undefined) {
      s = { kind, tally: new Tally() };
      steps.set(step, s);
    }
    return s.tally;
  }
}
