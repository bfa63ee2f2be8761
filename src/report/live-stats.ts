/**
 * @module report/live-stats
 * What the live terminal view shows, accumulated from the engine's callbacks
 * (`onTally`, `onDropped`, `onProgress`): run totals, and rates and latency
 * percentiles of the last window. Workers report what they counted about
 * once a second; the window shown is rotated by whoever renders.
 */

import { MetricHistogram, type Tally } from '../metrics/index.js';

/** Figures from the engine's progress hook. */
export interface LiveProgress {
  elapsedMs: number;
  plannedMs?: number | undefined;
  inFlight?: number | undefined;
  activeVus?: number | undefined;
  stage?: string | undefined;
}

/** The last window: rates and percentiles for the view (zeros when it saw nothing). */
export interface LiveWindow {
  seconds: number;
  requestsPerS: number;
  outputTokensPerS: number;
  ttft: { p50: number; p95: number; count: number };
  e2e: { p50: number; p95: number; count: number };
}

/** A frame's worth of figures. */
export interface LiveSnapshot {
  progress: LiveProgress | undefined;
  requests: number;
  ok: number;
  errors: number;
  cancelled: number;
  dropped: number;
  byError: Record<string, number>;
  window: LiveWindow;
  /** USD spent so far by the price table (absent or 0: nothing priced). */
  costUsd?: number;
}

/** What the engine says of a worker's report: which worker, and how many seconds it covers. */
export interface TallyReport {
  worker: number;
  seconds: number;
}

export class LiveStats {
  #requests = 0;
  #ok = 0;
  #errors = 0;
  #cancelled = 0;
  #dropped = 0;
  #costUsd = 0;
  readonly #byError = new Map<string, number>();
  #progress: LiveProgress | undefined;
  // Each worker's latest report; the window shown is made of these.
  readonly #latest = new Map<number, { delta: Tally; seconds: number }>();
  #last: LiveWindow = {
    seconds: 0,
    requestsPerS: 0,
    outputTokensPerS: 0,
    ttft: { p50: 0, p95: 0, count: 0 },
    e2e: { p50: 0, p95: 0, count: 0 },
  };

  /** Adds what a worker counted over the `seconds` since its last report. */
  add(delta: Tally, report: TallyReport): void {
    this.#requests += delta.requests;
    this.#ok += delta.ok;
    this.#errors += delta.errors;
    this.#cancelled += delta.cancelled;
    this.#costUsd += delta.histogram('cost_usd')?.sum ?? 0;
    for (const [kind, n] of delta.byError) this.#byError.set(kind, (this.#byError.get(kind) ?? 0) + n);
    this.#latest.set(report.worker, { delta, seconds: Math.max(0.001, report.seconds) });
  }

  dropped(n = 1): void {
    this.#dropped += n;
  }

  progress(p: LiveProgress): void {
    this.#progress = p;
  }

  /**
   * Makes the workers' latest reports the window `snapshot()` shows: rates add
   * up over workers (each over the span it reported), percentiles come from
   * their merged histograms. Workers report about once a second, so a view
   * that redraws faster shows the same window until the next reports arrive.
   */
  rotate(): void {
    let requestsPerS = 0;
    let outputTokensPerS = 0;
    let seconds = 0;
    const ttft = new MetricHistogram('ms');
    const e2e = new MetricHistogram('ms');
    for (const { delta, seconds: s } of this.#latest.values()) {
      requestsPerS += delta.requests / s;
      outputTokensPerS += delta.outputTokens / s;
      seconds = Math.max(seconds, s);
      const t = delta.histogram('ttft_ms');
      if (t !== undefined) ttft.add(t);
      const e = delta.histogram('e2e_ms');
      if (e !== undefined) e2e.add(e);
    }
    this.#last = {
      seconds,
      requestsPerS,
      outputTokensPerS,
      ttft: { p50: ttft.percentile(50), p95: ttft.percentile(95), count: ttft.count },
      e2e: { p50: e2e.percentile(50), p95: e2e.percentile(95), count: e2e.count },
    };
  }

  snapshot(): LiveSnapshot {
    return {
      progress: this.#progress,
      requests: this.#requests,
      ok: this.#ok,
      errors: this.#errors,
      cancelled: this.#cancelled,
      dropped: this.#dropped,
      byError: Object.fromEntries(this.#byError),
      window: this.#last,
      costUsd: Math.round(this.#costUsd * 1e9) / 1e9,
    };
  }
}
