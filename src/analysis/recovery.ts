/**
 * @module analysis/recovery
 * How the system under test came through a timeline event, from the per-window
 * series of the summary (and, for failover, scraped request counters): time to
 * the first error, time to recovery, requests lost, time to fail over and back.
 * Pure: windows in, figures out. Resolution is one window (1 s) for the window
 * figures and one scrape interval for the failover figures.
 */

/** What recovery needs of a summary window. */
export interface RecoveryWindow {
  start_s: number;
  requests: number;
  errors: number;
  dropped: number;
  e2e_ms: { p95: number };
  ttft_ms: { p95: number };
}

/** A cumulative counter scraped over time: `[seconds, value]`. */
export type CounterPoints = readonly (readonly [number, number])[];

export interface RecoveryOptions {
  /** A window is healthy when errors ÷ requests is at most this. */
  maxErrorRate: number;
  /** …and p95 E2E and TTFT are at most `band` × their pre-event median. */
  band: number;
  /** Window length in seconds (the summary's windows are 1 s). */
  windowS?: number;
}

export interface RecoveryEvent {
  /** Start, seconds from the run's start. */
  at: number;
  /** Duration of the fault; absent for a marker or an open-ended fault. */
  for_s?: number | undefined;
  /** Served-request counters of the target that fails and the one that takes over. */
  failover?: { from: CounterPoints; to: CounterPoints } | undefined;
}

export interface Recovery {
  /** Seconds from the event's start to the first window with an error; null when none. */
  first_error_s: number | null;
  /** Seconds from the event's start to the first healthy window after it degraded; 0 when it never did, null when it never recovered. */
  recovered_s: number | null;
  /** Seconds from the end of the fault (`at + for_s`) to recovery; 0 when it recovered before the end. */
  recovery_s: number | null;
  /** Errors and dropped arrivals from the event's start to recovery (to the run's end when it never recovered). */
  lost: number;
  /** The pre-event band: median p95 of the windows before the event (null without any). */
  baseline: { e2e_p95_ms: number; ttft_p95_ms: number } | null;
  /** Seconds from the event's start to the first scrape showing the `to` target served a request. */
  failover_s?: number | null;
  /** Seconds from the end of the fault to the first scrape showing the `from` target served again. */
  failback_s?: number | null;
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function median(values: number[]): number | undefined {
  const sorted = values.filter((v) => Number.isFinite(v) && v > 0).sort((a, b) => a - b);
  if (sorted.length === 0) return undefined;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** The value of a counter at `t`: its last point at or before it (0 before the first). */
function counterAt(points: CounterPoints, t: number): number {
  let value = 0;
  for (const [s, v] of points) {
    if (s > t) break;
    value = v;
  }
  return value;
}

/** Seconds after `t` until the counter first rises above its value at `t`; null when it never does. */
export function timeToIncrease(points: CounterPoints, t: number): number | null {
  const base = counterAt(points, t);
  for (const [s, v] of points) if (s > t && v > base) return round3(s - t);
  return null;
}

/** Recovery figures of one event over the run's windows. */
export function recoveryOf(
  event: RecoveryEvent,
  windows: readonly RecoveryWindow[],
  options: RecoveryOptions,
): Recovery {
  const windowS = options.windowS ?? 1;
  const sorted = [...windows].sort((a, b) => a.start_s - b.start_s);
  const before = sorted.filter((w) => w.start_s + windowS <= event.at && w.requests > 0);
  const e2e = median(before.map((w) => w.e2e_ms.p95));
  const ttft = median(before.map((w) => w.ttft_ms.p95));
  const baseline = e2e === undefined ? null : { e2e_p95_ms: e2e, ttft_p95_ms: ttft ?? 0 };
  const after = sorted.filter((w) => w.start_s + windowS > event.at);
  const since = (w: RecoveryWindow) => round3(Math.max(0, w.start_s - event.at));

  const healthy = (w: RecoveryWindow): boolean => {
    if (w.requests === 0) return w.dropped === 0;
    if (w.errors / w.requests > options.maxErrorRate) return false;
    if (e2e !== undefined && w.e2e_ms.p95 > e2e * options.band) return false;
    if (ttft !== undefined && ttft > 0 && w.ttft_ms.p95 > ttft * options.band) return false;
    return w.dropped === 0;
  };
  const firstError = after.find((w) => w.errors > 0);
  const firstBad = after.findIndex((w) => !healthy(w));
  const end = event.at + (event.for_s ?? 0);
  let recoveredAt: RecoveryWindow | undefined;
  if (firstBad !== -1) recoveredAt = after.slice(firstBad).find((w) => healthy(w) && w.requests > 0);
  const recovered_s = firstBad === -1 ? 0 : recoveredAt === undefined ? null : since(recoveredAt);
  const lostWindows = after.filter((w) => recoveredAt === undefined || w.start_s < recoveredAt.start_s);
  const lost = firstBad === -1 ? 0 : lostWindows.reduce((n, w) => n + w.errors + w.dropped, 0);
  const recovery: Recovery = {
    first_error_s: firstError === undefined ? null : since(firstError),
    recovered_s,
    recovery_s: recovered_s === null ? null : round3(Math.max(0, event.at + recovered_s - end)),
    lost,
    baseline,
  };
  if (event.failover !== undefined) {
    recovery.failover_s = timeToIncrease(event.failover.to, event.at);
    recovery.failback_s = timeToIncrease(event.failover.from, end);
  }
  return recovery;
}
