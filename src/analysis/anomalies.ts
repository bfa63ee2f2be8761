/**
 * @module analysis/anomalies
 * In-run anomaly detection over the summary's per-window series: a window is
 * a spike when it leaves a robust band (trailing median ± k·MAD, with relative
 * and absolute floors) of the windows before it in the same stage; a run of
 * flagged windows longer than `shiftWindows` is a level shift. Each anomaly
 * lists the events, stage starts, telemetry jumps and generator stalls that
 * coincide with it as likely causes; one that coincides with the generator
 * being late is `generator_limited`, never the target's. Pure: data in,
 * anomalies out, so `tokenstorm report` rebuilds the same list. Advisory: it
 * never decides the verdict. Why robust statistics: a mean and standard
 * deviation are dragged by the very spikes they should find.
 */

/** What detection needs of a summary window. */
export interface AnomalyWindow {
  start_s: number;
  requests: number;
  errors: number;
  output_tokens: number;
  ttft_ms: { p50: number; p95: number; p99: number };
  e2e_ms: { p50: number; p95: number; p99: number };
  itl_ms: { p99: number };
  scheduling_lag_ms: { p99: number };
}

export interface AnomalyStage {
  name: string;
  startMs: number;
  endMs: number;
  warmup?: boolean | undefined;
}

export interface AnomalyEvent {
  at: number;
  label: string;
  for_s?: number | undefined;
  error?: string | undefined;
}

export interface AnomalyTelemetry {
  name: string;
  points: readonly (readonly [number, number])[];
}

export interface AnomalyInput {
  windows: readonly AnomalyWindow[];
  /** The run's measured duration (s): a last window cut short by the end is left out. */
  durationS?: number | undefined;
  stages?: readonly AnomalyStage[] | undefined;
  events?: readonly AnomalyEvent[] | undefined;
  telemetry?: readonly AnomalyTelemetry[] | undefined;
  /**
   * The target runs on the generator's machine (the embedded mock): a late
   * generator means a busy machine, which slows the target too, so any
   * coinciding lateness is the generator's.
   */
  sameHost?: boolean | undefined;
  /**
   * The generator's event-loop delay p99 per worker-second and, when recorded,
   * when each was taken (run-clock s) and its largest delay (ms).
   */
  generator?:
    | {
        loopDelayP99Ms: readonly number[];
        loopDelayAtS?: readonly number[] | undefined;
        loopDelaySampleMaxMs?: readonly number[] | undefined;
      }
    | undefined;
}

export interface AnomalyOptions {
  windowS: number;
  /** Trailing windows the baseline is taken from. */
  trailing: number;
  /** Fewest baseline windows before anything can be flagged. */
  minBaseline: number;
  /** Band width in scaled MADs. */
  k: number;
  /** Smallest departure as a fraction of the baseline median (so a flat series does not flag noise). */
  minRelative: number;
  /** Windows skipped after the run or a stage starts (connections opening, a planned ramp). */
  settleWindows: number;
  /** Whole windows skipped before the run's end (the load stopping, workers reporting), besides a cut-short last one. */
  endWindows: number;
  /** A run of flagged windows at least this long is a level shift, not a spike. */
  shiftWindows: number;
  /** A generator second whose loop delay p99 exceeds this is late (generator-health's limit). */
  loopDelayLimitMs: number;
  /** …and one that froze this long at once (a single long block hides from the p99) is a stall. */
  stallMs: number;
  /** A window whose scheduling lag p99 exceeds this left its requests late. */
  schedulingLagLimitMs: number;
}

export const DEFAULT_ANOMALY_OPTIONS: AnomalyOptions = {
  windowS: 1,
  trailing: 10,
  minBaseline: 5,
  k: 5,
  minRelative: 0.5,
  settleWindows: 2,
  endWindows: 1,
  shiftWindows: 8,
  loopDelayLimitMs: 20,
  stallMs: 250,
  schedulingLagLimitMs: 10,
};

export interface AnomalyCause {
  type: 'event' | 'stage' | 'telemetry' | 'generator';
  label: string;
  at_s: number;
}

export interface Anomaly {
  metric: string;
  /** `[from_s, to_s)`: the start of the first flagged window and the end of the last. */
  windows: [number, number];
  kind: 'spike' | 'shift';
  /** Peak ÷ baseline for latencies and tokens/s; peak − baseline for the error rate. */
  size: number;
  /** The trailing median the windows departed from. */
  baseline: number;
  /** The most extreme value in the windows. */
  peak: number;
  causes: AnomalyCause[];
  /** The generator was late in these windows: the figures describe the tester, not the target. */
  generator_limited: boolean;
}

/** The series anomalies are looked for in (`Anomaly.metric`). */
export function anomalySeries(): string[] {
  return METRICS.map((m) => m.name);
}

/** How the anomalies agree with the static thresholds (`summary.anomaly_concordance`). */
export interface AnomalyConcordance {
  anomalies: number;
  /** Of those, the ones the generator's lateness explains. */
  generator_limited: number;
  thresholds: number;
  thresholds_failed: number;
  /** Both saw a problem with the target, or neither did. */
  agree: boolean;
}

interface MetricSpec {
  name: string;
  direction: 'up' | 'down';
  /** Smallest departure in the metric's unit. */
  minAbs: number;
  minRequests: number;
  size: 'ratio' | 'delta';
  value: (w: AnomalyWindow, windowS: number) => number | undefined;
}

/** A latency quantile; 0 means the window had no sample of it. */
const latency = (
  name: string,
  minRequests: number,
  get: (w: AnomalyWindow) => number,
  // A p99 of one window is its few slowest requests: a 10-15 ms blip of a busy box's scheduler
  // or collector shows there on a steady 20 ms target, and is nothing a person should be paged for.
  minAbs = 25,
): MetricSpec => ({
  name,
  direction: 'up',
  minAbs,
  minRequests,
  size: 'ratio',
  value: (w) => {
    const v = get(w);
    return v > 0 ? v : undefined;
  },
});

// A p99 of fewer than 50 samples is little more than the window's maximum; p95 needs 20.
const METRICS: readonly MetricSpec[] = [
  latency('ttft_ms.p50', 10, (w) => w.ttft_ms.p50),
  latency('ttft_ms.p95', 20, (w) => w.ttft_ms.p95),
  latency('ttft_ms.p99', 50, (w) => w.ttft_ms.p99),
  latency('e2e_ms.p50', 10, (w) => w.e2e_ms.p50),
  latency('e2e_ms.p95', 20, (w) => w.e2e_ms.p95),
  latency('e2e_ms.p99', 50, (w) => w.e2e_ms.p99),
  latency('itl_ms.p99', 50, (w) => w.itl_ms.p99, 20),
  latency('scheduling_lag_ms.p99', 20, (w) => w.scheduling_lag_ms.p99),
  {
    name: 'error_rate',
    direction: 'up',
    minAbs: 0.05,
    minRequests: 10,
    size: 'delta',
    value: (w) => w.errors / w.requests,
  },
  {
    name: 'output_tokens_per_s',
    direction: 'down',
    minAbs: 1,
    minRequests: 0,
    size: 'ratio',
    value: (w, windowS) => w.output_tokens / windowS,
  },
];

const round3 = (x: number) => Math.round(x * 1000) / 1000;

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Median absolute deviation, scaled to estimate a normal series' standard deviation. */
function mad(values: readonly number[], med: number): number {
  return 1.4826 * median(values.map((v) => Math.abs(v - med)));
}

interface Flagged {
  from: number;
  to: number;
  values: number[];
  baseline: number;
  kind: 'spike' | 'shift';
}

/** The windows each metric is judged on: grouped by stage, warm-ups and settling windows left out. */
function segmentsOf(input: AnomalyInput, o: AnomalyOptions): AnomalyWindow[][] {
  const stages = [...(input.stages ?? [])].sort((a, b) => a.startMs - b.startMs);
  const stageOf = (w: AnomalyWindow) =>
    stages.findIndex((s) => w.start_s * 1000 >= s.startMs && w.start_s * 1000 < s.endMs);
  const overlapsWarmup = (w: AnomalyWindow) =>
    stages.some(
      (s) => s.warmup === true && s.startMs < (w.start_s + o.windowS) * 1000 && s.endMs > w.start_s * 1000,
    );
  const end = input.durationS;
  const segments = new Map<number, AnomalyWindow[]>();
  const seen = new Map<number, number>();
  for (const w of [...input.windows].sort((a, b) => a.start_s - b.start_s)) {
    const key = stageOf(w);
    const n = seen.get(key) ?? 0;
    seen.set(key, n + 1);
    if (n < o.settleWindows || overlapsWarmup(w)) continue;
    if (end !== undefined && w.start_s + (1 + o.endWindows) * o.windowS > end + 1e-6) continue;
    const list = segments.get(key) ?? [];
    list.push(w);
    segments.set(key, list);
  }
  return [...segments.values()];
}

/** Runs of windows outside the trailing band of one metric over one segment. */
function flag(windows: readonly AnomalyWindow[], m: MetricSpec, o: AnomalyOptions): Flagged[] {
  const out: Flagged[] = [];
  let trail: number[] = [];
  let run: Flagged | undefined;
  const close = () => {
    if (run !== undefined) out.push(run);
    run = undefined;
  };
  for (const w of windows) {
    const v = w.requests >= m.minRequests ? m.value(w, o.windowS) : undefined;
    if (v === undefined || !Number.isFinite(v)) {
      close();
      continue;
    }
    if (trail.length < o.minBaseline) {
      trail.push(v);
      continue;
    }
    const base = run?.baseline ?? median(trail.slice(-o.trailing));
    const recent = trail.slice(-o.trailing);
    const band = Math.max(o.k * mad(recent, median(recent)), o.minRelative * base, m.minAbs);
    const outside = m.direction === 'up' ? v > base + band : v < base - band;
    if (!outside) {
      close();
      trail.push(v);
      continue;
    }
    if (run === undefined)
      run = { from: w.start_s, to: w.start_s, values: [], baseline: base, kind: 'spike' };
    run.to = w.start_s;
    run.values.push(v);
    if (run.values.length >= o.shiftWindows) {
      // The new level is the level now: later windows are judged against it.
      run.kind = 'shift';
      trail = run.values.slice(-o.trailing);
      close();
    }
  }
  close();
  return out;
}

/** A late second of a worker's event loop: it covers the second before its sample arrived. */
interface Stall {
  from: number;
  to: number;
  /** Its largest delay when that was a stall, else its p99. */
  ms: number;
  label: string;
}

function stallsOf(input: AnomalyInput, o: AnomalyOptions): Stall[] {
  const g = input.generator;
  if (g?.loopDelayAtS === undefined) return [];
  const out: Stall[] = [];
  g.loopDelayP99Ms.forEach((p99, i) => {
    const at = g.loopDelayAtS?.[i];
    const max = g.loopDelaySampleMaxMs?.[i] ?? 0;
    if (at === undefined) return;
    // The block ended in the sample's second (or just before it, when the sample was read first).
    if (max > o.stallMs)
      out.push({ from: at - 1 - max / 1000, to: at, ms: max, label: `event loop stalled ${round3(max)} ms` });
    else if (p99 > o.loopDelayLimitMs)
      out.push({ from: at - 1, to: at, ms: p99, label: `event loop late: p99 ${round3(p99)} ms` });
  });
  return out;
}

/** Telemetry series that jump within `[from, to]` above everything in the `span` seconds before. */
function telemetryJumps(
  series: readonly AnomalyTelemetry[],
  from: number,
  to: number,
  span: number,
): AnomalyCause[] {
  const out: AnomalyCause[] = [];
  for (const t of series) {
    const counter = t.name.endsWith('_total');
    // Counters are judged by their increase between scrapes, gauges by their value.
    const points: [number, number][] = counter
      ? t.points.slice(1).map(([s, v], i) => [s, v - (t.points[i]?.[1] ?? v)])
      : t.points.map(([s, v]) => [s, v]);
    const before = points.filter(([s]) => s < from && s >= from - span).map(([, v]) => v);
    const during = points.filter(([s]) => s >= from && s <= to);
    if (before.length === 0 || during.length === 0) continue;
    const top = Math.max(...before);
    const floor = t.name.endsWith('_perc') ? 0.1 : 1;
    const jump = during.find(([, v]) => v > top + Math.max(floor, 0.5 * Math.abs(top)));
    if (jump !== undefined) {
      out.push({ type: 'telemetry', label: `${t.name} ${round3(top)} → ${round3(jump[1])}`, at_s: jump[0] });
    }
  }
  return out;
}

/**
 * The likely causes of flagged windows. The generator is blamed (`limited`)
 * when it was late in them by at least half the rise of a latency (its own
 * scheduling lag always is), and for any lateness when the metric is a rate
 * or the target shares its machine.
 */
function causesOf(
  input: AnomalyInput,
  f: Flagged,
  m: MetricSpec,
  peak: number,
  stalls: readonly Stall[],
  o: AnomalyOptions,
): { causes: AnomalyCause[]; generatorLimited: boolean } {
  const from = f.from;
  const to = f.to + o.windowS;
  const causes: AnomalyCause[] = [];
  // A request ends in the window after the one it was sent in: an event a window early still counts.
  for (const e of input.events ?? []) {
    if (e.error !== undefined) continue;
    const end = e.for_s === undefined ? Number.POSITIVE_INFINITY : e.at + e.for_s;
    if (e.at < to && end >= from - o.windowS) causes.push({ type: 'event', label: e.label, at_s: e.at });
  }
  for (const s of input.stages ?? []) {
    const at = s.startMs / 1000;
    if (at > 0 && at >= from - 2 * o.windowS && at < to)
      causes.push({ type: 'stage', label: `stage ${s.name} starts`, at_s: round3(at) });
  }
  causes.push(...telemetryJumps(input.telemetry ?? [], from - o.windowS, to + o.windowS, 10 * o.windowS));
  // The worst late second of the event loop and the worst scheduling lag, at most one cause each.
  let loop: Stall | undefined;
  for (const st of stalls) {
    if (st.from < to + 0.5 && st.to > from - 0.5 && (loop === undefined || st.ms > loop.ms)) loop = st;
  }
  let lag: AnomalyWindow | undefined;
  for (const w of input.windows) {
    const p99 = w.scheduling_lag_ms.p99;
    if (
      w.start_s >= from &&
      w.start_s < to &&
      p99 > o.schedulingLagLimitMs &&
      p99 > (lag?.scheduling_lag_ms.p99 ?? 0)
    )
      lag = w;
  }
  if (loop !== undefined) causes.push({ type: 'generator', label: loop.label, at_s: round3(loop.from) });
  if (lag !== undefined) {
    causes.push({
      type: 'generator',
      label: `requests left late: scheduling lag p99 ${round3(lag.scheduling_lag_ms.p99)} ms`,
      at_s: lag.start_s,
    });
  }
  const lateMs = Math.max(loop?.ms ?? 0, lag?.scheduling_lag_ms.p99 ?? 0);
  const late = loop !== undefined || lag !== undefined;
  const generatorLimited =
    m.name === 'scheduling_lag_ms.p99' ||
    (late &&
      (m.name.includes('_ms.') && input.sameHost !== true ? lateMs >= 0.5 * (peak - f.baseline) : true));
  return { causes: causes.sort((x, y) => x.at_s - y.at_s), generatorLimited };
}

/** The anomalies of a run, in time order then metric order. */
export function detectAnomalies(input: AnomalyInput, options: Partial<AnomalyOptions> = {}): Anomaly[] {
  const o = { ...DEFAULT_ANOMALY_OPTIONS, ...options };
  const segments = segmentsOf(input, o);
  const stalls = stallsOf(input, o);
  const out: Anomaly[] = [];
  for (const m of METRICS) {
    for (const segment of segments) {
      for (const f of flag(segment, m, o)) {
        const peak = m.direction === 'up' ? Math.max(...f.values) : Math.min(...f.values);
        const size =
          m.size === 'delta' || f.baseline === 0
            ? peak - f.baseline
            : f.kind === 'shift'
              ? median(f.values) / f.baseline
              : peak / f.baseline;
        const { causes, generatorLimited } = causesOf(input, f, m, peak, stalls, o);
        out.push({
          metric: m.name,
          windows: [f.from, round3(f.to + o.windowS)],
          kind: f.kind,
          size: round3(size),
          baseline: round3(f.baseline),
          peak: round3(peak),
          causes,
          generator_limited: generatorLimited,
        });
      }
    }
  }
  return out.sort((a, b) => a.windows[0] - b.windows[0]);
}

/** Whether the anomalies tell the same story as the static thresholds. */
export function anomalyConcordance(
  anomalies: readonly Anomaly[],
  thresholds: readonly { passed: boolean }[],
): AnomalyConcordance {
  const limited = anomalies.filter((a) => a.generator_limited).length;
  const failed = thresholds.filter((t) => !t.passed).length;
  return {
    anomalies: anomalies.length,
    generator_limited: limited,
    thresholds: thresholds.length,
    thresholds_failed: failed,
    agree: anomalies.length - limited > 0 === failed > 0,
  };
}
