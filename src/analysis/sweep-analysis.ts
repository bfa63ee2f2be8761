/**
 * @module analysis/sweep-analysis
 * Verdicts of a capacity sweep, from the measured steps alone (pure): whether
 * each step met the SLOs, the capacity (the highest offered load that did,
 * below the first that did not), the knee where latency bends, which signal
 * degraded first (TTFT, TPOT, E2E, errors, dropped arrivals), and the
 * throughput each step completed against what it was offered: past
 * saturation the offered rate keeps climbing while the throughput does not,
 * which is the bend of the latency-against-throughput curve.
 */
import {
  DEFAULT_ATTAINMENT,
  type MetricStats,
  type RequestSlo,
  type StageFlow,
  type StageMeasurement,
  type StageSummary,
  stepVerdict,
} from '../metrics/index.js';

export type DegradedSignal = 'ttft' | 'tpot' | 'e2e' | 'errors' | 'dropped';

export interface SweepStepInput {
  name: string;
  offered: number;
  /** Seconds from the run's start. */
  start: number;
  end: number;
  measurement: StageMeasurement;
  /** Offered, sent and completed per second of the step (`StageSummary.flow`). */
  flow: StageFlow;
}

type Latency = { p50: number; p90: number; p99: number };

export interface SweepPoint {
  step: number;
  name: string;
  offered: number;
  start: number;
  end: number;
  passed: boolean;
  attainment: number;
  /** Arrivals scheduled per second (first attempts and dropped arrivals), measured. */
  offered_per_s: number;
  /** Attempts sent per second (retries included). */
  sent_per_s: number;
  /** The throughput: requests that completed (ok or error) per second of the step, by when they ended. */
  throughput_per_s: number;
  /** Ok requests completed per second. */
  ok_per_s: number;
  /** Requests completed per second that met every SLO. */
  goodput_per_s: number;
  goodput_pct: number;
  error_rate: number;
  dropped: number;
  requests: number;
  ttft_ms: Latency;
  tpot_ms: Latency;
  e2e_ms: Latency;
}

export interface SweepAnalysis {
  unit: string;
  /** Steps in the order they ran (every change of load is one). */
  steps: SweepPoint[];
  /** The same, by offered load: latency against `throughput_per_s` is the curve a sweep draws. */
  curve: SweepPoint[];
  /** The highest throughput any step completed (req/s): the server's saturation throughput. */
  saturationThroughput: number | null;
  /** Highest offered load that met the SLOs below the lowest that did not; null when none did. */
  capacity: number | null;
  /** `measured`: a failing step bounds it; `at_least`: every step passed; `none`: no step passed. */
  capacityBound: 'measured' | 'at_least' | 'none';
  /** Offered load where latency bends (Kneedle on p90 TTFT, or E2E without model steps). */
  knee: number | null;
  /** The signal that degraded at the lowest offered load; null when none did. */
  degradedFirst: DegradedSignal | null;
  /** Lowest offered load at which each signal degraded. */
  degradedAt: Partial<Record<DegradedSignal, number>>;
}

function latency(s: MetricStats | undefined): Latency {
  return { p50: s?.p50 ?? 0, p90: s?.p90 ?? 0, p99: s?.p99 ?? 0 };
}

/** The percentile an SLO is judged at: the one matching the attainment target. */
function judged(l: Latency, attainment: number): number {
  return attainment <= 0.5 ? l.p50 : attainment <= 0.9 ? l.p90 : l.p99;
}

/** The knee of an increasing curve: the point farthest below the chord (Kneedle), when it bends. */
export function kneeOf(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 3) return null;
  const first = points[0] as { x: number; y: number };
  const last = points[points.length - 1] as { x: number; y: number };
  const dx = last.x - first.x;
  const dy = last.y - first.y;
  if (dx <= 0 || dy <= 0) return null;
  let best = 0;
  let knee: number | null = null;
  for (const p of points) {
    const gap = (p.x - first.x) / dx - (p.y - first.y) / dy;
    if (gap > best) {
      best = gap;
      knee = p.x;
    }
  }
  // A nearly straight line has no knee.
  return best >= 0.1 ? knee : null;
}

/** Analyses the measured steps of a sweep (warm-ups left out). */
export function analyseSweep(
  steps: readonly SweepStepInput[],
  options: { slos?: readonly RequestSlo[]; attainment?: number; unit?: string } = {},
): SweepAnalysis {
  const attainment = options.attainment ?? DEFAULT_ATTAINMENT;
  const points: SweepPoint[] = steps.map((s, i) => {
    const m = s.measurement;
    const verdict = stepVerdict(m, attainment);
    return {
      step: i + 1,
      name: s.name,
      offered: s.offered,
      start: s.start,
      end: s.end,
      passed: verdict.passed,
      attainment: verdict.attainment,
      offered_per_s: s.flow.offered_per_s,
      sent_per_s: s.flow.sent_per_s,
      throughput_per_s: s.flow.completed_per_s,
      ok_per_s: s.flow.ok_per_s,
      goodput_per_s: s.flow.goodput_per_s,
      goodput_pct: m.rates.goodput_pct,
      error_rate: m.rates.error_rate,
      dropped: m.counts.dropped,
      requests: m.counts.requests,
      ttft_ms: latency(m.metrics.ttft_ms),
      tpot_ms: latency(m.metrics.tpot_ms),
      e2e_ms: latency(m.metrics.e2e_ms),
    };
  });
  const curve = [...points].sort((a, b) => a.offered - b.offered || a.step - b.step);
  const failed = curve.filter((p) => !p.passed).map((p) => p.offered);
  const lowestFail = failed.length > 0 ? Math.min(...failed) : Number.POSITIVE_INFINITY;
  const good = curve.filter((p) => p.passed && p.offered < lowestFail).map((p) => p.offered);
  const capacity = good.length > 0 ? Math.max(...good) : null;
  const capacityBound = capacity === null ? 'none' : failed.length === 0 ? 'at_least' : 'measured';
  const saturationThroughput = points.length > 0 ? Math.max(...points.map((p) => p.throughput_per_s)) : null;

  const hasTtft = curve.some((p) => p.ttft_ms.p90 > 0);
  const knee = kneeOf(curve.map((p) => ({ x: p.offered, y: (hasTtft ? p.ttft_ms : p.e2e_ms).p90 })));
  const { degradedFirst, degradedAt } = firstDegraded(curve, options.slos ?? [], attainment);
  return {
    unit: options.unit ?? 'req/s',
    steps: points,
    curve,
    saturationThroughput,
    capacity,
    capacityBound,
    knee,
    degradedFirst,
    degradedAt,
  };
}

const LATENCY_SIGNALS = [
  ['ttft', 'ttft_ms'],
  ['tpot', 'tpot_ms'],
  ['e2e', 'e2e_ms'],
] as const;

function firstDegraded(curve: readonly SweepPoint[], slos: readonly RequestSlo[], attainment: number) {
  const degradedAt: Partial<Record<DegradedSignal, number>> = {};
  // How far past its bound a signal went where it degraded: breaks ties at the same step.
  const severity: Partial<Record<DegradedSignal, number>> = {};
  const base = curve[0];
  for (const p of curve) {
    const mark = (signal: DegradedSignal, ratio: number) => {
      if (degradedAt[signal] !== undefined) return;
      degradedAt[signal] = p.offered;
      severity[signal] = ratio;
    };
    for (const [signal, metric] of LATENCY_SIGNALS) {
      const value = judged(p[metric], attainment);
      if (value <= 0) continue;
      const slo = slos.find((s) => s.metric === metric);
      const baseline = base === undefined ? 0 : judged(base[metric], attainment);
      // Without an SLO, a latency has degraded once it doubled (and grew by 50 ms) from the lowest load.
      const bound = slo?.maxMs ?? Math.max(2 * baseline, baseline + 50);
      if (value > bound) mark(signal, baseline > 0 ? value / baseline : value / bound);
    }
    if (p.error_rate > 0.01) mark('errors', p.error_rate / 0.01);
    const offered = p.requests + p.dropped;
    if (offered > 0 && p.dropped / offered > 0.01) mark('dropped', p.dropped / offered / 0.01);
  }
  let degradedFirst: DegradedSignal | null = null;
  for (const [signal, at] of Object.entries(degradedAt) as [DegradedSignal, number][]) {
    if (degradedFirst === null) {
      degradedFirst = signal;
      continue;
    }
    const bestAt = degradedAt[degradedFirst] as number;
    if (at < bestAt || (at === bestAt && (severity[signal] ?? 0) > (severity[degradedFirst] ?? 0))) {
      degradedFirst = signal;
    }
  }
  return { degradedFirst, degradedAt };
}

/** A sweep's analysis from the per-stage summaries of its run (warm-ups left out). */
export function analyseSweepStages(
  stages: readonly StageSummary[],
  options: { slos?: readonly RequestSlo[]; attainment?: number; unit?: string } = {},
): SweepAnalysis {
  const steps = stages
    .filter((s) => !s.warmup && s.target !== undefined)
    .map((s) => ({
      name: s.name,
      offered: s.target as number,
      start: s.start,
      end: s.end,
      measurement: { counts: s.counts, metrics: s.metrics, rates: s.rates },
      flow: s.flow,
    }));
  return analyseSweep(steps, options);
}
