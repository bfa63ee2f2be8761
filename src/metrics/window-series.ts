/**
 * @module metrics/window-series
 * Per-window counts and histograms of the attempts that ended in each window
 * (`floor(end / windowMs)`), and beside them the window's flow by each clock:
 * arrivals offered by `scheduled`, attempts by `sent`. Counting all by `end`
 * made an overloaded server's windows show what it completed as what was
 * offered. Old windows are compacted (their histograms encoded) so an
 * hours-long soak test stays small; compaction is lossless, so results never
 * depend on it.
 */
import type { RequestRecord } from '../core/index.js';
import type { MetricName, Quantiles, WindowFlow, WindowSummary } from './summary-core.js';
import { orderedByError, Tally, type TallyState } from './tally.js';

/**
 * Windows as plain data: `[index, tally, offered, sent]` of each window that saw anything;
 * `offered` counts first attempts scheduled in it (dropped arrivals are in the tally), `sent`
 * attempts sent in it.
 */
export type WindowsState = [number, TallyState, number, number][];

const WINDOW_METRICS: readonly MetricName[] = ['ttft_ms', 'e2e_ms', 'itl_ms', 'scheduling_lag_ms'];
// Records arrive roughly in end order; windows this far behind the newest are rarely touched again.
const LIVE_WINDOWS = 8;

interface WindowState {
  /** The attempts that ended in the window, and the arrivals dropped in it. */
  readonly tally: Tally;
  /** First attempts scheduled in the window. */
  offered: number;
  /** Attempts sent in the window. */
  sent: number;
  /** Summary computed at compaction or snapshot, but for `flow`; cleared by any change of the tally. */
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
    const index = Math.floor(r.end / this.windowMs);
    if (!Number.isFinite(index)) return;
    const state = this.#stateAtIndex(index);
    state.tally.add(r, good);
    // Most records are scheduled and sent in the window they end in: no lookup then.
    if ((r.attempt ?? 1) <= 1) this.#counterAt(r.scheduled, index, state).offered++;
    this.#counterAt(r.sent, index, state).sent++;
  }

  addDropped(atMs: number, n: number): void {
    this.#stateAt(atMs)?.tally.addDropped(n);
  }

  /** The windows as plain data; {@link WindowSeries.merge} adds them to another series exactly. */
  encode(): WindowsState {
    return [...this.#windows].map(([index, state]) => [
      index,
      state.tally.encode(),
      state.offered,
      state.sent,
    ]);
  }

  /** Adds windows counted elsewhere (same `windowMs`), as if their records had been added here. */
  merge(windows: WindowsState): void {
    for (const [index, tally, offered, sent] of windows) {
      const state = this.#stateAtIndex(index);
      state.tally.mergeState(tally);
      state.offered += offered;
      state.sent += sent;
    }
  }

  /** Every window from the first to the last that saw anything, empty ones included. */
  summaries(): WindowSummary[] {
    const out: WindowSummary[] = [];
    for (let i = this.#first; i <= this.#last; i++) {
      const state = this.#windows.get(i) ?? { tally: new Tally([]), offered: 0, sent: 0, summary: undefined };
      state.summary ??= this.#summarize(i, state);
      // A copy: the cached summary must not change if a caller edits the snapshot.
      const summary = structuredClone(state.summary);
      // Offered and sent change without the tally (a slow record ending later), so never cached.
      summary.flow = this.#flowOf(state);
      out.push(summary);
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

  /**
   * The window of `atMs` for its offered or sent counter (`state`, the record's end window, when
   * the same): the counters are outside the cached summary, so an old window is not reopened.
   */
  #counterAt(atMs: number, endIndex: number, state: WindowState): WindowState {
    const index = Math.floor(atMs / this.windowMs);
    if (index === endIndex || !Number.isFinite(index)) return state;
    return this.#windows.get(index) ?? this.#stateAtIndex(index);
  }

  #stateAtIndex(index: number): WindowState {
    let state = this.#windows.get(index);
    if (state === undefined) {
      state = { tally: new Tally(WINDOW_METRICS), offered: 0, sent: 0, summary: undefined };
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
        state.summary ??= this.#summarize(index, state);
        state.tally.compact();
      }
      this.#live.delete(index);
    }
  }

  /** Per second of the window: with 1 s windows, the counts themselves. */
  #flowOf(state: WindowState): WindowFlow {
    const t = state.tally;
    const perSecond = (n: number) => Math.round((n * 1_000_000) / this.windowMs) / 1000;
    return {
      offered_per_s: perSecond(state.offered + t.dropped),
      sent_per_s: perSecond(state.sent),
      completed_per_s: perSecond(t.ok + t.errors),
      ok_per_s: perSecond(t.ok),
      goodput_per_s: perSecond(t.good),
    };
  }

  #summarize(index: number, state: WindowState): WindowSummary {
    const t = state.tally;
    const lag = t.histogram('scheduling_lag_ms');
    return {
      start_s: Math.round(index * this.windowMs) / 1000,
      requests: t.requests,
      ok: t.ok,
      errors: t.errors,
      cancelled: t.cancelled,
      dropped: t.dropped,
      retries: t.requests - t.logical,
      flow: this.#flowOf(state),
      output_tokens: t.outputTokens,
      byError: orderedByError(t.byError),
      ttft_ms: quantiles(t, 'ttft_ms'),
      e2e_ms: quantiles(t, 'e2e_ms'),
      itl_ms: quantiles(t, 'itl_ms'),
      scheduling_lag_ms: { p99: lag?.percentile(99) ?? 0, max: lag?.max ?? 0 },
    };
  }
}
