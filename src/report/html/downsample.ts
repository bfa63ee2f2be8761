/**
 * @module report/html/downsample
 * Keeps time charts small for hours-long runs: adjacent windows are merged
 * into at most `maxPoints` buckets. Counts are summed (then shown per
 * second), a window's `flow` rates averaged; a latency percentile of a bucket
 * is the worst of its windows' percentiles, an upper envelope that never
 * hides a spike. Percentiles are
 * never recomputed from merged data; the run's percentiles come from the
 * full histograms in `summary.metrics`.
 */
import type { ChecksSummary, WindowFlow, WindowSummary } from '../../metrics/index.js';

/**
 * One bucket of merged windows: a window's fields over `width_s` seconds
 * (percentiles are the worst window's, never averaged; `flow` per second of the bucket).
 */
export interface WindowBucket extends WindowSummary {
  /** Seconds the bucket covers. */
  width_s: number;
  flow: WindowFlow;
  /** Largest `active_vus` of the windows, when windows carry it. */
  active_vus?: number;
}

/** Width of one window in seconds, from the spacing of window starts (1 s when unknown). */
export function windowWidth(windows: readonly WindowSummary[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < windows.length; i++) {
    const d = (windows[i]?.start_s ?? 0) - (windows[i - 1]?.start_s ?? 0);
    if (d > 0 && d < best) best = d;
  }
  return Number.isFinite(best) ? best : 1;
}

function worst<K extends string>(a: Record<K, number>, b: Record<K, number>): Record<K, number> {
  const out = { ...a };
  for (const k of Object.keys(b) as K[]) out[k] = Math.max(a[k], b[k]);
  return out;
}

const FLOW_KEYS = ['offered_per_s', 'sent_per_s', 'completed_per_s', 'ok_per_s', 'goodput_per_s'] as const;

/**
 * A window's flow; a summary written before windows had one gets what its completion-time counts
 * tell (every attempt as sent, first attempts and dropped as offered, when they ended; no SLO).
 */
function flowOf(w: WindowSummary, width: number): WindowFlow {
  if (w.flow !== undefined) return w.flow;
  const perSecond = (n: number) => n / width;
  return {
    offered_per_s: perSecond(w.requests - (w.retries ?? 0) + w.dropped),
    sent_per_s: perSecond(w.requests),
    completed_per_s: perSecond(w.ok + w.errors),
    ok_per_s: perSecond(w.ok),
    goodput_per_s: perSecond(w.ok),
  };
}

function activeVusOf(w: WindowSummary): number | undefined {
  return typeof w.active_vus === 'number' ? w.active_vus : undefined;
}

/** Check counts of merged windows: passes and fails add up, rates follow. */
function addChecks(a: ChecksSummary | undefined, w: ChecksSummary): ChecksSummary {
  const rate = (p: number, f: number) => (p + f > 0 ? Math.round((p / (p + f)) * 1e6) / 1e6 : 0);
  const byCheck: ChecksSummary['byCheck'] = { ...(a?.byCheck ?? {}) };
  for (const [name, k] of Object.entries(w.byCheck)) {
    const passes = (byCheck[name]?.passes ?? 0) + k.passes;
    const fails = (byCheck[name]?.fails ?? 0) + k.fails;
    byCheck[name] = { passes, fails, rate: rate(passes, fails) };
  }
  const passes = (a?.passes ?? 0) + w.passes;
  const fails = (a?.fails ?? 0) + w.fails;
  return { passes, fails, rate: rate(passes, fails), byCheck };
}

/** Merges consecutive windows so there are at most `maxPoints` buckets. */
export function downsampleWindows(windows: readonly WindowSummary[], maxPoints: number): WindowBucket[] {
  const width = windowWidth(windows);
  const per = Math.max(1, Math.ceil(windows.length / Math.max(1, maxPoints)));
  const out: WindowBucket[] = [];
  for (let i = 0; i < windows.length; i += per) {
    const group = windows.slice(i, i + per);
    const first = group[0];
    if (first === undefined) continue;
    const b: WindowBucket = {
      start_s: first.start_s,
      width_s: width * group.length,
      requests: 0,
      ok: 0,
      errors: 0,
      cancelled: 0,
      dropped: 0,
      retries: 0,
      flow: { offered_per_s: 0, sent_per_s: 0, completed_per_s: 0, ok_per_s: 0, goodput_per_s: 0 },
      output_tokens: 0,
      byError: {},
      ttft_ms: { ...first.ttft_ms },
      e2e_ms: { ...first.e2e_ms },
      itl_ms: { ...first.itl_ms },
      scheduling_lag_ms: { ...first.scheduling_lag_ms },
    };
    for (const w of group) {
      b.requests += w.requests;
      b.ok += w.ok;
      b.errors += w.errors;
      b.cancelled += w.cancelled;
      b.dropped += w.dropped;
      // Absent in summaries written before retries were counted apart.
      b.retries += w.retries ?? 0;
      const flow = flowOf(w, width);
      for (const k of FLOW_KEYS) b.flow[k] += flow[k];
      b.output_tokens += w.output_tokens;
      for (const [kind, n] of Object.entries(w.byError)) b.byError[kind] = (b.byError[kind] ?? 0) + n;
      b.ttft_ms = worst(b.ttft_ms, w.ttft_ms);
      b.e2e_ms = worst(b.e2e_ms, w.e2e_ms);
      b.itl_ms = worst(b.itl_ms, w.itl_ms);
      b.scheduling_lag_ms = worst(b.scheduling_lag_ms, w.scheduling_lag_ms);
      if (w.checks !== undefined) b.checks = addChecks(b.checks, w.checks);
      const vus = activeVusOf(w);
      if (vus !== undefined) b.active_vus = Math.max(b.active_vus ?? 0, vus);
    }
    for (const k of FLOW_KEYS) b.flow[k] /= group.length;
    out.push(b);
  }
  return out;
}
