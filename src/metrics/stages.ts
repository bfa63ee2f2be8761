/**
 * @module metrics/stages
 * Per-stage aggregates: each record belongs to the stage its `scheduled` time
 * falls in (so a slow answer is charged to the load that caused it), each
 * dropped arrival to the stage of its planned time. Beside that, what ended
 * in the stage (by each record's `end`) gives its throughput: an overloaded
 * stage is offered more than it completes, and only the two together show it.
 */

import type { StageRef } from './selectors.js';
import type { StageFlow, StageMeasurement, StageSpan, StageSummary } from './summary-core.js';
import { Tally, type TallyState } from './tally.js';

/**
 * Stage tallies as plain data: `[startMs, tally, ended]` of each stage that counted anything;
 * `ended` is `[completed, ok, good]` of the records that ended in the stage.
 */
export type StagesState = [number, TallyState, number[]][];

/** Records that ended within a stage: completed (ok or error), ok, good. */
interface Ended {
  completed: number;
  ok: number;
  good: number;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export class StageTallies {
  readonly #spans: StageSpan[] = [];
  readonly #tallies: Tally[] = [];
  readonly #ended: Ended[] = [];

  add(span: StageSpan): void {
    // Spans arrive in time order (planned ahead, or announced as a sweep goes); keep them sorted anyway.
    let i = this.#spans.length;
    while (i > 0 && (this.#spans[i - 1] as StageSpan).startMs > span.startMs) i--;
    this.#spans.splice(i, 0, { ...span });
    this.#tallies.splice(i, 0, new Tally());
    this.#ended.splice(i, 0, { completed: 0, ok: 0, good: 0 });
  }

  get size(): number {
    return this.#spans.length;
  }

  /** The index of the stage containing `atMs`, or -1. */
  #indexAt(atMs: number): number {
    let lo = 0;
    let hi = this.#spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const span = this.#spans[mid] as StageSpan;
      if (atMs < span.startMs) hi = mid - 1;
      else if (atMs >= span.endMs) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The start of the stage containing `atMs`, if any (the key stages are merged by). */
  startAt(atMs: number): number | undefined {
    return this.#spans[this.#indexAt(atMs)]?.startMs;
  }

  /** The stage containing `atMs`, if any. */
  spanAt(atMs: number): StageSpan | undefined {
    return this.#spans[this.#indexAt(atMs)];
  }

  /** The stages' spans, in time order. */
  spans(): readonly StageSpan[] {
    return this.#spans;
  }

  /** The name and index of the stage containing `atMs`, if any (threshold selectors). */
  refAt(atMs: number): StageRef | undefined {
    const i = this.#indexAt(atMs);
    return i === -1 ? undefined : { name: (this.#spans[i] as StageSpan).name, index: i };
  }

  /** The tally of the stage containing `atMs`, if any. */
  at(atMs: number): Tally | undefined {
    return this.#tallies[this.#indexAt(atMs)];
  }

  /** Counts a record that ended at `endMs` in the throughput of the stage containing it; cancelled ones are not completions. */
  ended(endMs: number, outcome: string, good: boolean): void {
    if (outcome === 'cancelled' || this.#spans.length === 0) return;
    const e = this.#ended[this.#indexAt(endMs)];
    if (e === undefined) return;
    e.completed++;
    if (outcome === 'ok') e.ok++;
    if (good) e.good++;
  }

  /** The tallies as plain data; the spans themselves travel separately (they are announced). */
  encode(): StagesState {
    const out: StagesState = [];
    this.#spans.forEach((span, i) => {
      const t = this.#tallies[i] as Tally;
      const e = this.#ended[i] as Ended;
      if (t.requests > 0 || t.dropped > 0 || e.completed > 0) {
        out.push([span.startMs, t.encode(), [e.completed, e.ok, e.good]]);
      }
    });
    return out;
  }

  /** Adds tallies counted elsewhere to the stages starting at the same times (which must be known here). */
  merge(stages: StagesState): void {
    for (const [startMs, tally, ended] of stages) {
      const i = this.#indexAt(startMs);
      if (i === -1) continue;
      (this.#tallies[i] as Tally).mergeState(tally);
      const e = this.#ended[i] as Ended;
      e.completed += ended[0] ?? 0;
      e.ok += ended[1] ?? 0;
      e.good += ended[2] ?? 0;
    }
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
      const durationS = (span.endMs - span.startMs) / 1000;
      const t = this.#tallies[i] as Tally;
      const out: StageSummary = {
        name: span.name,
        start: round3(span.startMs / 1000),
        end: round3(span.endMs / 1000),
        flow: flowOf(t, this.#ended[i] as Ended, durationS),
        ...measurementOf(t, durationS),
      };
      if (span.target !== undefined) out.target = span.target;
      if (span.warmup) out.warmup = true;
      const checks = t.checksSummary();
      if (checks !== undefined) out.checks = checks;
      return out;
    });
  }
}

function perSecond(n: number, durationS: number): number {
  return durationS > 0 ? Math.round((n / durationS) * 1000) / 1000 : 0;
}

function flowOf(t: Tally, e: Ended, durationS: number): StageFlow {
  return {
    offered_per_s: perSecond(t.logical + t.dropped, durationS),
    sent_per_s: perSecond(t.requests, durationS),
    completed_per_s: perSecond(e.completed, durationS),
    ok_per_s: perSecond(e.ok, durationS),
    goodput_per_s: perSecond(e.good, durationS),
  };
}

function measurementOf(t: Tally, durationS: number): StageMeasurement {
  return { counts: { ...t.counts(), good: t.good }, metrics: t.metrics(), rates: t.rates(durationS) };
}

/** Share of requests that must be good for a step to pass (DistServe's SLO attainment). */
export const DEFAULT_ATTAINMENT = 0.9;

export interface StepVerdict {
  passed: boolean;
  /** good / (attempted + dropped): dropped arrivals and failed requests are not good. */
  attainment: number;
}

/** Whether one step met the SLOs: at least `attainment` of its offered requests were good. */
export function stepVerdict(m: StageMeasurement, attainment = DEFAULT_ATTAINMENT): StepVerdict {
  const offered = m.counts.requests - m.counts.cancelled + m.counts.dropped;
  const share = offered > 0 ? m.counts.good / offered : 0;
  return { passed: offered > 0 && share >= attainment, attainment: Math.round(share * 10_000) / 10_000 };
}
