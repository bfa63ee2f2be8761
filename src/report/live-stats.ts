/**
 * @module report/live-stats
 * What the live terminal view shows, accumulated from the engine's callbacks
 * (`onRecord`, `onDropped`, `onProgress`): run totals, and rates and latency
 * percentiles of the last window. Cheap per record (a histogram record); the
 * window is rotated by whoever renders, with the time passed in.
 */

import type { RequestRecord } from '../metrics/index.js';
import { MetricHistogram } from '../metrics/index.js';

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
}

function isModel(r: RequestRecord): boolean {
  return r.kind === 'chat' || r.kind === 'completion';
}

export class LiveStats {
  #requests = 0;
  #ok = 0;
  #errors = 0;
  #cancelled = 0;
  #dropped = 0;
  readonly #byError = new Map<string, number>();
  #progress: LiveProgress | undefined;
  // The window being filled, and the last completed one shown by the view.
  #current = LiveStats.#emptyWindow();
  #last: LiveWindow = {
    seconds: 0,
    requestsPerS: 0,
    outputTokensPerS: 0,
    ttft: { p50: 0, p95: 0, count: 0 },
    e2e: { p50: 0, p95: 0, count: 0 },
  };
  #windowStart: number;

  /** `now`: the time in ms (any monotonic origin) the first window starts at. */
  constructor(now: number) {
    this.#windowStart = now;
  }

  static #emptyWindow() {
    return { requests: 0, outputTokens: 0, ttft: new MetricHistogram('ms'), e2e: new MetricHistogram('ms') };
  }

  record(r: RequestRecord): void {
    this.#requests++;
    const w = this.#current;
    w.requests++;
    if (r.outcome === 'ok') {
      this.#ok++;
      if (isModel(r)) {
        w.outputTokens += r.outputTokens ?? r.outputTokensClient ?? 0;
        if (r.ttftMs !== undefined) w.ttft.record(r.ttftMs);
      }
      w.e2e.record(r.e2eMs ?? r.end - r.sent);
    } else if (r.outcome === 'cancelled') {
      this.#cancelled++;
    } else {
      this.#errors++;
      const kind = r.error ?? 'unknown';
      this.#byError.set(kind, (this.#byError.get(kind) ?? 0) + 1);
    }
  }

  dropped(n = 1): void {
    this.#dropped += n;
  }

  progress(p: LiveProgress): void {
    this.#progress = p;
  }

  /** Closes the current window at `now` (ms); its figures become `snapshot().window`. */
  rotate(now: number): void {
    const seconds = Math.max(0.001, (now - this.#windowStart) / 1000);
    const w = this.#current;
    this.#last = {
      seconds,
      requestsPerS: w.requests / seconds,
      outputTokensPerS: w.outputTokens / seconds,
      ttft: { p50: w.ttft.percentile(50), p95: w.ttft.percentile(95), count: w.ttft.count },
      e2e: { p50: w.e2e.percentile(50), p95: w.e2e.percentile(95), count: w.e2e.count },
    };
    this.#current = LiveStats.#emptyWindow();
    this.#windowStart = now;
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
    };
  }
}
