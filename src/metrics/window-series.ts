/**
 * @module metrics/window-series
 * Per-window counts and histograms, keyed by `floor(end / windowMs)`. Old
 * windows are compacted (their histograms encoded) so an hours-long soak test
 * stays small; compaction is lossless, so results never depend on it.
 */
import type { RequestRecord } from './record.js';
import type { MetricName, Quantiles, WindowSummary } from './summary-core.js';
import { orderedByError, Tally, type TallyState } from './tally.js';

/** Windows as plain data: `[index, tally]` of each window that saw a record. */
export type WindowsState = [number, TallyState][];

const WINDOW_METRICS: readonly MetricName[] = ['ttft_ms', 'e2e_ms', 'itl_ms', 'scheduling_lag_ms'];
// Records arrive roughly in end order; windows this far behind the newest are rarely touched again.
const LIVE_WINDOWS = 8;

interface WindowState {
  readonly tally: Tally;
  /** Summary computed at compaction or snapshot; cleared by any change. */
  summary: WindowSummary | undefined;
}

function quantiles(tally: Tally, metric: MetricName): Quantiles {
  const h = tally.histogram(metric);
  if (h === undefined) return { p50: 0, p95: 0, p99: 0 };
  return { p50: h.percentile(50), p95: h.percentile(95), p99: h.percentile(99) };
}

export class WindowSeries {
  readonly windowMs: number;
  readonly #windows = new Map<number, WindowState>();
  readonly #live = new Set<number>();
  #first = Number.POSITIVE_INFINITY;
  #last = Number.NEGATIVE_INFINITY;

  constructor(windowMs: number) {
    this.windowMs = windowMs;
  }

  add(r: RequestRecord, good: boolean): void {
    const state = this.#stateAt(r.end);
    if (state === undefined) return;
    state.tally.add(r, good);
  }

  addDropped(atMs: number, n: number): void {
    this.#stateAt(atMs)?.tally.addDropped(n);
  }

  /** The windows as plain data; {@link WindowSeries.merge} adds them to another series exactly. */
  encode(): WindowsState {
    return [...this.#windows].map(([index, state]) => [index, state.tally.encode()]);
  }

  /** Adds windows counted elsewhere (same `windowMs`), as if their records had been added here. */
  merge(windows: WindowsState): void {
    for (const [index, tally] of windows) this.#stateAtIndex(index).tally.mergeState(tally);
  }

  /** Every window from the first to the last that saw anything, empty ones included. */
  summaries(): WindowSummary[] {
    const out: WindowSummary[] = [];
    for (let i = this.#first; i <= this.#last; i++) {
      const state = this.#windows.get(i) ?? { tally: new Tally([]), summary: undefined };
      state.summary ??= this.#summarize(i, state.tally);
      // A copy: the cached summary must not change if a caller edits the snapshot.
      out.push(structuredClone(state.summary));
    }
    return out;
  }

  /** Each window's histogram of each of `metrics` that has values, encoded (MetricHistogram.encode), in time order. */
  encodedHistograms(
    metrics: readonly MetricName[],
  ): { start_s: number; metric: MetricName; histogram: string }[] {
    const out: { start_s: number; metric: MetricName; histogram: string }[] = [];
    for (const index of [...this.#windows.keys()].sort((a, b) => a - b)) {
      const tally = (this.#windows.get(index) as WindowState).tally;
      for (const metric of metrics) {
        const h = tally.histogram(metric);
        if (h !== undefined && h.count > 0)
          out.push({ start_s: Math.round(index * this.windowMs) / 1000, metric, histogram: h.encode() });
      }
    }
    return out;
  }

  #stateAt(atMs: number): WindowState | undefined {
    const index = Math.floor(atMs / this.windowMs);
    return Number.isFinite(index) ? this.#stateAtIndex(index) : undefined;
  }

  #stateAtIndex(index: number): WindowState {
    let state = this.#windows.get(index);
    if (state === undefined) {
      state = { tally: new Tally(WINDOW_METRICS), summary: undefined };
      this.#windows.set(index, state);
    }
    state.summary = undefined;
    if (index < this.#first) this.#first = index;
    const advanced = index > this.#last;
    if (advanced) this.#last = index;
    this.#live.add(index);
    if (advanced) this.#compactBefore(index - LIVE_WINDOWS);
    return state;
  }

  #compactBefore(limit: number): void {
    for (const index of this.#live) {
      if (index > limit) continue;
      const state = this.#windows.get(index);
      if (state !== undefined) {
        state.summary ??= this.#summarize(index, state.tally);
        state.tally.compact();
      }
      this.#live.delete(index);
    }
  }

  #summarize(index: number, t: Tally): WindowSummary {
    const lag = t.histogram('scheduling_lag_ms');
    return {
      start_s: Math.round(index * this.windowMs) / 1000,
      requests: t.requests,
      ok: t.ok,
      errors: t.errors,
      cancelled: t.cancelled,
      dropped: t.dropped,
      retries: t.requests - t.logical,
      output_tokens: t.outputTokens,
      byError: orderedByError(t.byError),
      ttft_ms: quantiles(t, 'ttft_ms'),
      e2e_ms: quantiles(t, 'e2e_ms'),
      itl_ms: quantiles(t, 'itl_ms'),
      scheduling_lag_ms: { p99: lag?.percentile(99) ?? 0, max: lag?.max ?? 0 },
    };
  }
}
