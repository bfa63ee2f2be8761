/**
 * @module metrics/stages
 * Per-stage aggregates: each record belongs to the stage its `scheduled` time
 * falls in (so a slow answer is charged to the load that caused it), each
 * dropped arrival to the stage of its planned time.
 */
import type { Counts, MetricsSummary, Rates } from './summary-core.js';
import { Tally, type TallyState } from './tally.js';

/** Stage tallies as plain data: `[startMs, tally]` of each stage that counted anything. */
export type StagesState = [number, TallyState][];

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
  target?: number;
  warmup?: boolean;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export class StageTallies {
  readonly #spans: StageSpan[] = [];
  readonly #tallies: Tally[] = [];

  add(span: StageSpan): void {
    // Spans arrive in time order (planned ahead, or announced as a sweep goes); keep them sorted anyway.
    let i = this.#spans.length;
    while (i > 0 && (this.#spans[i - 1] as StageSpan).startMs > span.startMs) i--;
    this.#spans.splice(i, 0, { ...span });
    this.#tallies.splice(i, 0, new Tally());
  }

  get size(): number {
    return this.#spans.length;
  }

  /** The tally of the stage containing `atMs`, if any. */
  at(atMs: number): Tally | undefined {
    let lo = 0;
    let hi = this.#spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const span = this.#spans[mid] as StageSpan;
      if (atMs < span.startMs) hi = mid - 1;
      else if (atMs >= span.endMs) lo = mid + 1;
      else return this.#tallies[mid];
    }
    return undefined;
  }

  /** The tallies as plain data; the spans themselves travel separately (they are announced). */
  encode(): StagesState {
    const out: StagesState = [];
    this.#spans.forEach((span, i) => {
      const t = this.#tallies[i] as Tally;
      if (t.requests > 0 || t.dropped > 0) out.push([span.startMs, t.encode()]);
    });
    return out;
  }

  /** Adds tallies counted elsewhere to the stages starting at the same times (which must be known here). */
  merge(stages: StagesState): void {
    for (const [startMs, tally] of stages) this.at(startMs)?.mergeState(tally);
  }

  /** The stages within `[fromMs, toMs)` merged, rates over that span. */
  measure(fromMs: number, toMs: number): StageMeasurement {
    const merged = new Tally();
    this.#spans.forEach((span, i) => {
      if (span.startMs >= fromMs && span.endMs <= toMs) merged.merge(this.#tallies[i] as Tally);
    });
    return measurementOf(merged, (toMs - fromMs) / 1000);
  }

  summaries(): StageSummary[] {
    return this.#spans.map((span, i) => {
      const out: StageSummary = {
        name: span.name,
        start: round3(span.startMs / 1000),
        end: round3(span.endMs / 1000),
        ...measurementOf(this.#tallies[i] as Tally, (span.endMs - span.startMs) / 1000),
      };
      if (span.target !== undefined) out.target = span.target;
      if (span.warmup) out.warmup = true;
      return out;
    });
  }
}

function measurementOf(t: Tally, durationS: number): StageMeasurement {
  return { counts: { ...t.counts(), good: t.good }, metrics: t.metrics(), rates: t.rates(durationS) };
}
