/**
 * @module metrics/tally
 * Counters, token sums and histograms over one group of records: the whole
 * run, one scenario or one time window.
 */

import { ERROR_KINDS, type RequestRecord } from '../core/index.js';
import { type HistogramTransfer, MetricHistogram } from './histogram.js';
import { isModelStep, itlOf, sampleOf } from './samples.js';
import {
  type CheckCounts,
  type ChecksSummary,
  CORE_METRICS,
  type Counts,
  type LogicalSummary,
  METRIC_NAMES,
  type MetricName,
  type MetricsSummary,
  type Rates,
  type TokenTotals,
  unitOf,
} from './summary-core.js';

/** Key of an error record without a kind; the engine always sets one, this keeps sums consistent. */
const UNKNOWN_ERROR = 'unknown';

/** Pass count, fail count and pass rate (rounded to 1e-6; 0 evaluations give rate 0, never shown). */
function checkCounts(passes: number, fails: number): CheckCounts {
  const n = passes + fails;
  return { passes, fails, rate: n > 0 ? Math.round((passes / n) * 1e6) / 1e6 : 0 };
}

function perSecond(n: number, durationS: number): number {
  return durationS > 0 ? Math.round((n / durationS) * 1000) / 1000 : 0;
}

/** Error counts in a stable order: `ERROR_KINDS` first, then any other kind by name. */
export function orderedByError(byError: ReadonlyMap<string, number>): Record<string, number> {
  const known: readonly string[] = ERROR_KINDS;
  const keys = [...byError.keys()].sort((a, b) => {
    const ia = known.indexOf(a);
    const ib = known.indexOf(b);
    if (ia !== -1 || ib !== -1) return (ia === -1 ? known.length : ia) - (ib === -1 ? known.length : ib);
    return a < b ? -1 : a > b ? 1 : 0;
  });
  return Object.fromEntries(keys.map((k) => [k, byError.get(k) ?? 0]));
}

/**
 * A tally as plain data, for another thread: counters, error counts, token
 * sums and histograms. `mergeState` adds it to another tally exactly.
 */
export interface TallyState {
  /**
   * requests, ok, errors, cancelled, dropped, good, logical, outputTokens, inputTokens,
   * then the logical outcomes: ok, errors, cancelled, good; then embedding vectors and their input tokens.
   */
  n: number[];
  byError: [string, number][];
  logicalByError: [string, number][];
  tokens: TokenTotals;
  histograms: [MetricName, HistogramTransfer][];
  /** Step checks: `[name, passes, fails]`; absent when none ran. */
  checks?: [string, number, number][];
}

export class Tally {
  requests = 0;
  ok = 0;
  errors = 0;
  cancelled = 0;
  dropped = 0;
  good = 0;
  /** First attempts: one per logical request, however often it was retried. */
  logical = 0;
  /** Logical outcomes, counted at each logical request's last attempt (see `logicalStartOf`). */
  logicalOk = 0;
  logicalErrors = 0;
  logicalCancelled = 0;
  logicalGood = 0;
  readonly byError = new Map<string, number>();
  readonly logicalByError = new Map<string, number>();
  readonly tokens: TokenTotals = {
    output_server: 0,
    output_client: 0,
    input_server: 0,
    input_client: 0,
    mismatched_requests: 0,
  };
  /** Output and input tokens of ok model records, server count preferred (as the metrics). */
  outputTokens = 0;
  inputTokens = 0;
  /** Step checks by name: `[passes, fails]` (records carry the checks that ran on them). */
  readonly checks = new Map<string, [number, number]>();
  /** Vectors of ok embedding records, and their input tokens (server count preferred). */
  vectors = 0;
  embeddingTokens = 0;
  readonly #tracked: readonly MetricName[];
  readonly #histograms = new Map<MetricName, MetricHistogram>();

  /** `metrics`: which histograms to keep (windows keep a few to save memory). */
  constructor(metrics: readonly MetricName[] = METRIC_NAMES) {
    this.#tracked = metrics;
  }

  /** `goodLogical`: whether `r`, when it is its logical request's last attempt, makes that one good. */
  add(r: RequestRecord, good: boolean, goodLogical = good): void {
    this.requests++;
    if ((r.attempt ?? 1) <= 1) this.logical++;
    const last = r.attempt === undefined || r.logicalSent !== undefined;
    if (r.outcome === 'ok') {
      this.ok++;
      if (last) this.logicalOk++;
    } else if (r.outcome === 'cancelled') {
      this.cancelled++;
      if (last) this.logicalCancelled++;
    } else {
      this.errors++;
      const kind = r.error ?? UNKNOWN_ERROR;
      this.byError.set(kind, (this.byError.get(kind) ?? 0) + 1);
      if (last) {
        this.logicalErrors++;
        this.logicalByError.set(kind, (this.logicalByError.get(kind) ?? 0) + 1);
      }
    }
    if (good) this.good++;
    if (last && goodLogical) this.logicalGood++;
    if (r.outcome === 'ok' && isModelStep(r)) this.#addTokens(r);
    if (r.checks !== undefined) {
      for (const name in r.checks) this.#addChecks(name, r.checks[name] ? 1 : 0, r.checks[name] ? 0 : 1);
    }
    if (r.outcome === 'ok' && r.vectors !== undefined) {
      this.vectors += r.vectors;
      this.embeddingTokens += r.inputTokens ?? r.inputTokensClient ?? 0;
    }
    // Indexed loops and one call for all gaps: `for…of` and a call per gap left an iterator result
    // and a boxed number per gap, ~8 % of the worker's allocation at 250 streams (sampling heap profile).
    const tracked = this.#tracked;
    for (let k = 0; k < tracked.length; k++) {
      const metric = tracked[k] as MetricName;
      if (metric === 'itl_ms') {
        const gaps = itlOf(r);
        if (gaps.length > 0) this.#histogramFor(metric).recordAll(gaps);
        continue;
      }
      const value = sampleOf(r, metric);
      if (value !== undefined) this.#histogramFor(metric).record(value);
    }
  }

  addDropped(n: number): void {
    this.dropped += n;
  }

  /** The histogram of `metric`, or undefined when nothing was recorded in it. */
  histogram(metric: MetricName): MetricHistogram | undefined {
    const h = this.#histograms.get(metric);
    return h !== undefined && h.count > 0 ? h : undefined;
  }

  counts(): Counts {
    return {
      requests: this.requests,
      ok: this.ok,
      errors: this.errors,
      cancelled: this.cancelled,
      dropped: this.dropped,
      byError: orderedByError(this.byError),
    };
  }

  /** Metrics with data, plus the core four (zeros when empty), in `METRIC_NAMES` order. */
  metrics(): MetricsSummary {
    const out: MetricsSummary = {};
    for (const metric of METRIC_NAMES) {
      const h = this.histogram(metric);
      if (h !== undefined) out[metric] = h.stats();
      else if (CORE_METRICS.includes(metric)) out[metric] = new MetricHistogram(unitOf(metric)).stats();
    }
    return out;
  }

  rates(durationS: number): Rates {
    const attempted = this.requests - this.cancelled;
    return {
      requests_per_s: perSecond(this.requests, durationS),
      ok_per_s: perSecond(this.ok, durationS),
      output_tokens_per_s: perSecond(this.outputTokens, durationS),
      input_tokens_per_s: perSecond(this.inputTokens, durationS),
      goodput_per_s: perSecond(this.good, durationS),
      // Share of attempted requests that met every SLO; a failed request is not good.
      goodput_pct: attempted > 0 ? Math.round((this.good / attempted) * 100_000) / 1000 : 0,
      // A cancellation is the client's choice, never an error, so it is not in the denominator.
      error_rate: attempted > 0 ? this.errors / attempted : 0,
      retry_amplification: this.logical > 0 ? this.requests / this.logical : 0,
      ...(this.vectors > 0
        ? {
            vectors_per_s: perSecond(this.vectors, durationS),
            embedding_tokens_per_s: perSecond(this.embeddingTokens, durationS),
          }
        : {}),
    };
  }

  /**
   * What the users saw: one outcome per logical request (its last attempt's).
   * A logical request whose retry was cut by the run's stop has no last
   * attempt and counts as cancelled, as a request in flight at the stop does.
   */
  logicalSummary(durationS: number): LogicalSummary {
    const requests = this.logical;
    const cancelled = Math.max(0, requests - this.logicalOk - this.logicalErrors);
    const attempted = requests - cancelled;
    return {
      requests,
      ok: this.logicalOk,
      errors: this.logicalErrors,
      cancelled,
      byError: orderedByError(this.logicalByError),
      error_rate: attempted > 0 ? this.logicalErrors / attempted : 0,
      ok_per_s: perSecond(this.logicalOk, durationS),
      goodput_per_s: perSecond(this.logicalGood, durationS),
      goodput_pct: attempted > 0 ? Math.round((this.logicalGood / attempted) * 100_000) / 1000 : 0,
    };
  }

  /** Adds everything `other` counted (exact: histograms merge, counts add). */
  merge(other: Tally): void {
    this.requests += other.requests;
    this.ok += other.ok;
    this.errors += other.errors;
    this.cancelled += other.cancelled;
    this.dropped += other.dropped;
    this.good += other.good;
    this.logical += other.logical;
    this.logicalOk += other.logicalOk;
    this.logicalErrors += other.logicalErrors;
    this.logicalCancelled += other.logicalCancelled;
    this.logicalGood += other.logicalGood;
    for (const [kind, n] of other.byError) this.byError.set(kind, (this.byError.get(kind) ?? 0) + n);
    for (const [kind, n] of other.logicalByError) {
      this.logicalByError.set(kind, (this.logicalByError.get(kind) ?? 0) + n);
    }
    this.#addTokenTotals(other.tokens);
    this.outputTokens += other.outputTokens;
    this.inputTokens += other.inputTokens;
    this.vectors += other.vectors;
    this.embeddingTokens += other.embeddingTokens;
    for (const [metric, h] of other.#histograms) if (h.count > 0) this.#histogramFor(metric).add(h);
    for (const [name, [passes, fails]] of other.checks) this.#addChecks(name, passes, fails);
  }

  /** The checks' pass rates, overall and by check; undefined when no check ran. */
  checksSummary(): ChecksSummary | undefined {
    if (this.checks.size === 0) return undefined;
    let passes = 0;
    let fails = 0;
    const byCheck: Record<string, CheckCounts> = {};
    for (const [name, [p, f]] of [...this.checks].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      passes += p;
      fails += f;
      byCheck[name] = checkCounts(p, f);
    }
    return { ...checkCounts(passes, fails), byCheck };
  }

  /** This tally as plain data (see {@link TallyState}). */
  encode(): TallyState {
    const histograms: TallyState['histograms'] = [];
    for (const [metric, h] of this.#histograms) if (h.count > 0) histograms.push([metric, h.toTransfer()]);
    return {
      n: [
        this.requests,
        this.ok,
        this.errors,
        this.cancelled,
        this.dropped,
        this.good,
        this.logical,
        this.outputTokens,
        this.inputTokens,
        this.logicalOk,
        this.logicalErrors,
        this.logicalCancelled,
        this.logicalGood,
        this.vectors,
        this.embeddingTokens,
      ],
      byError: [...this.byError],
      logicalByError: [...this.logicalByError],
      tokens: { ...this.tokens },
      histograms,
      ...(this.checks.size > 0 ? { checks: [...this.checks].map(([name, [p, f]]) => [name, p, f]) } : {}),
    };
  }

  /** Request attempts counted in a {@link Tally.encode}, without decoding it. */
  static requestsIn(state: TallyState): number {
    return state.n[0] ?? 0;
  }

  /** Adds what a {@link Tally.encode} of another tally counted: the same as `merge` of it, without building it. */
  mergeState(state: TallyState): void {
    const [
      requests = 0,
      ok = 0,
      errors = 0,
      cancelled = 0,
      dropped = 0,
      good = 0,
      logical = 0,
      output = 0,
      input = 0,
      logicalOk = 0,
      logicalErrors = 0,
      logicalCancelled = 0,
      logicalGood = 0,
      vectors = 0,
      embeddingTokens = 0,
    ] = state.n;
    this.vectors += vectors;
    this.embeddingTokens += embeddingTokens;
    this.logicalOk += logicalOk;
    this.logicalErrors += logicalErrors;
    this.logicalCancelled += logicalCancelled;
    this.logicalGood += logicalGood;
    for (const [kind, n] of state.logicalByError) {
      this.logicalByError.set(kind, (this.logicalByError.get(kind) ?? 0) + n);
    }
    this.requests += requests;
    this.ok += ok;
    this.errors += errors;
    this.cancelled += cancelled;
    this.dropped += dropped;
    this.good += good;
    this.logical += logical;
    this.outputTokens += output;
    this.inputTokens += input;
    for (const [kind, n] of state.byError) this.byError.set(kind, (this.byError.get(kind) ?? 0) + n);
    this.#addTokenTotals(state.tokens);
    for (const [metric, h] of state.histograms) this.#histogramFor(metric).addTransfer(h);
    for (const [name, passes, fails] of state.checks ?? []) this.#addChecks(name, passes, fails);
  }

  /** Frees the histograms' memory losslessly (see MetricHistogram.compact). */
  compact(): void {
    for (const h of this.#histograms.values()) h.compact();
  }

  #addChecks(name: string, passes: number, fails: number): void {
    const c = this.checks.get(name);
    if (c === undefined) this.checks.set(name, [passes, fails]);
    else {
      c[0] += passes;
      c[1] += fails;
    }
  }

  #addTokenTotals(o: TokenTotals): void {
    const t = this.tokens;
    t.output_server += o.output_server;
    t.output_client += o.output_client;
    t.input_server += o.input_server;
    t.input_client += o.input_client;
    t.mismatched_requests += o.mismatched_requests;
  }

  #addTokens(r: RequestRecord): void {
    const t = this.tokens;
    if (r.outputTokens !== undefined) t.output_server += r.outputTokens;
    if (r.outputTokensClient !== undefined) t.output_client += r.outputTokensClient;
    if (r.inputTokens !== undefined) t.input_server += r.inputTokens;
    if (r.inputTokensClient !== undefined) t.input_client += r.inputTokensClient;
    if (
      r.outputTokens !== undefined &&
      r.outputTokensClient !== undefined &&
      r.outputTokens !== r.outputTokensClient
    ) {
      t.mismatched_requests++;
    }
    this.outputTokens += r.outputTokens ?? r.outputTokensClient ?? 0;
    this.inputTokens += r.inputTokens ?? r.inputTokensClient ?? 0;
  }

  #histogramFor(metric: MetricName): MetricHistogram {
    let h = this.#histograms.get(metric);
    if (h === undefined) {
      h = new MetricHistogram(unitOf(metric));
      this.#histograms.set(metric, h);
    }
    return h;
  }
}
