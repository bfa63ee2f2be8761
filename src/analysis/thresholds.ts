/**
 * @module analysis/thresholds
 * Evaluates k6-style thresholds (`ttft_ms: ['p99 < 2000']`) against a run's
 * aggregates. Pure: the same aggregates give the same verdicts.
 */

import type { PercentileSource, Selector } from '../metrics/index.js';
import { selectorKey } from '../metrics/index.js';
import { formatStat, type ParsedThresholdEntry, parseThreshold, type ThresholdOp } from './threshold-expr.js';
import type { ThresholdSource } from './threshold-source.js';

/**
 * An expression, or one with options: `blocking: false` reports without failing the run;
 * `abortOnFail` (k6's name) evaluates it during the run, from `delayAbortEval` ms after the
 * start, and stops the run when it fails.
 */
export type ThresholdEntry =
  | string
  | { threshold: string; blocking?: boolean; abortOnFail?: boolean; delayAbortEval?: number };

/** Thresholds by metric key, e.g. `{ ttft_ms: ['p99 < 2000'], 'e2e_ms{scenario:chat}': ['p95 < 5000'] }`. */
export type Thresholds = Readonly<Record<string, readonly ThresholdEntry[]>>;

export interface ThresholdResult {
  /** The key as written, selector included. */
  metric: string;
  expr: string;
  blocking: boolean;
  /** The observed number; null when there was no data. */
  value: number | null;
  passed: boolean;
  /** Why there is no value, when there is none. */
  note?: string;
}

interface Observed {
  value: number | null;
  note?: string;
}

function compare(value: number, op: ThresholdOp, limit: number): boolean {
  switch (op) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
    case '==':
      return value === limit;
    case '!=':
      return value !== limit;
  }
}

function where(t: ParsedThresholdEntry): string {
  if (t.selector !== undefined) return ` in {${selectorKey(t.selector)}}`;
  if (t.step !== undefined) return ` in step "${t.step}"`;
  return t.scenario === undefined ? '' : ` in scenario "${t.scenario}"`;
}

/** Why a value is missing: a `checks` threshold where no check ran has no samples. */
function missing(t: ParsedThresholdEntry): Observed {
  if (t.name === 'checks') {
    const which = t.check === undefined ? 'no checks ran' : `check "${t.check}" never ran`;
    return { value: null, note: `no samples: ${which}${where(t)}` };
  }
  return { value: null, note: `no data: no ${t.name}${where(t)}` };
}

function observe(t: ParsedThresholdEntry, source: ThresholdSource): Observed {
  if (t.selector !== undefined) return observeSelected(t, source);
  if (t.step !== undefined && !source.hasStep(t.step)) {
    return { value: null, note: `no data: step "${t.step}" not found` };
  }
  if (!source.hasScenario(t.scenario)) {
    return { value: null, note: `no data: scenario "${t.scenario}" not found` };
  }
  if (t.kind === 'histogram') return observeHistogram(t, source.histogram(t.name, t.scenario, t.step));
  const value = source.value(t.name, t.scenario, t.step, t.check);
  if (value === undefined) return missing(t);
  return perSecond(t, value, source.durationS);
}

/** A count's `rate` is per second of the run; a rate metric is itself. */
function perSecond(t: ParsedThresholdEntry, value: number, durationS: number): Observed {
  if (t.stat?.kind !== 'rate' || t.kind === 'rate') return { value };
  if (!(durationS > 0)) return { value: null, note: 'no data: run duration is 0' };
  return { value: Math.round((value / durationS) * 1000) / 1000 };
}

/** A threshold with a selector of its own (stage, turn, model, tag, scenario and step): its records' tally. */
function observeSelected(t: ParsedThresholdEntry, source: ThresholdSource): Observed {
  const key = selectorKey(t.selector as Selector);
  const part = source.selected(key);
  if (part === undefined) return { value: null, note: `no data: {${key}} was not counted` };
  if (part.requests === 0) return { value: null, note: `no samples: no request matched {${key}}` };
  if (t.kind === 'histogram') return observeHistogram(t, part.histogram(t.name));
  const value = part.value(t.name, t.check);
  if (value === undefined) return missing(t);
  return perSecond(t, value, source.durationS);
}

function observeHistogram(t: ParsedThresholdEntry, h: PercentileSource | undefined): Observed {
  const stat = t.stat;
  if (stat?.kind === 'count') return { value: h?.count ?? 0 };
  if (h === undefined || h.count === 0) {
    return { value: null, note: `no data: no ${t.name} values recorded${where(t)}` };
  }
  switch (stat?.kind) {
    case 'percentile':
      return { value: h.percentile(stat.p) };
    case 'min':
      return { value: h.min };
    case 'max':
      return { value: h.max };
    case 'mean':
      return { value: h.mean };
    default:
      // The parser rejects these; reaching here means a parser bug, so fail visibly.
      return { value: null, note: `no data: statistic ${stat === undefined ? 'missing' : formatStat(stat)}` };
  }
}

function evaluateOne(
  metric: string,
  expr: string,
  blocking: boolean,
  source: ThresholdSource,
): ThresholdResult {
  let parsed: ParsedThresholdEntry;
  try {
    parsed = parseThreshold(metric, expr);
  } catch (err) {
    return { metric, expr, blocking, value: null, passed: false, note: `invalid: ${(err as Error).message}` };
  }
  const { value, note } = observe(parsed, source);
  const passed = value !== null && compare(value, parsed.op, parsed.value);
  return note === undefined
    ? { metric, expr, blocking, value, passed }
    : { metric, expr, blocking, value, passed, note };
}

/**
 * One result per threshold, in the order written. A threshold without data
 * fails (a metric that was never measured proves nothing); an invalid one
 * fails with a note rather than throwing.
 */
export function evaluateThresholds(thresholds: Thresholds, source: ThresholdSource): ThresholdResult[] {
  const results: ThresholdResult[] = [];
  for (const [metric, entries] of Object.entries(thresholds)) {
    for (const entry of entries) {
      const expr = typeof entry === 'string' ? entry : entry.threshold;
      const blocking = typeof entry === 'string' ? true : (entry.blocking ?? true);
      results.push(evaluateOne(metric, expr, blocking, source));
    }
  }
  return results;
}

/** Whether any threshold is to be evaluated during the run (`abortOnFail`). */
export function hasAbortOnFail(thresholds: Thresholds): boolean {
  return Object.values(thresholds).some((entries) =>
    entries.some((e) => typeof e !== 'string' && e.abortOnFail === true),
  );
}

/**
 * The first `abortOnFail` threshold, past its `delayAbortEval` at `elapsedMs` of the run, that
 * fails on what was measured so far; undefined when none does. A threshold with no samples yet
 * does not abort (a later stage's selector has none before that stage): only a measured value
 * that fails does, as the end of the run still fails one with none.
 */
export function failingAbortThreshold(
  thresholds: Thresholds,
  source: ThresholdSource,
  elapsedMs: number,
): ThresholdResult | undefined {
  for (const [metric, entries] of Object.entries(thresholds)) {
    for (const entry of entries) {
      if (typeof entry === 'string' || entry.abortOnFail !== true) continue;
      if (elapsedMs < (entry.delayAbortEval ?? 0)) continue;
      const result = evaluateOne(metric, entry.threshold, entry.blocking ?? true, source);
      if (!result.passed && result.value !== null) return result;
    }
  }
  return undefined;
}

/** The run passes when every blocking threshold passed. */
export function thresholdsPassed(results: readonly ThresholdResult[]): boolean {
  return results.every((r) => r.passed || !r.blocking);
}
