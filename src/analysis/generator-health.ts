/**
 * @module analysis/generator-health
 * Was the load generator itself the limit? A late event loop, scheduling lag
 * or dropped arrivals mean the numbers describe the tester, not the target.
 */

/** The generator's own figures over a run. */
export interface GeneratorFigures {
  workers: number;
  /** Event-loop delay p99 of each worker in each second (ms). */
  loopDelayP99Ms: readonly number[];
  /** Largest event-loop delay seen (ms). */
  loopDelayMaxMs: number;
  /** Scheduling lag p99 over the run (ms), when any request was sent. */
  schedulingLagP99Ms: number | undefined;
  /** Requests behind that p99. */
  schedulingLagCount: number;
  dropped: number;
  /** CPU time the generator's process used while the load ran (s), and how long that was (s). */
  cpuS?: number | undefined;
  durationS?: number | undefined;
}

export interface GeneratorLimits {
  /** A second whose event-loop delay p99 exceeds this counts as a late second. */
  loopDelayP99Ms: number;
  /** Scheduling lag p99 above this means requests left late. */
  schedulingLagP99Ms: number;
  /**
   * Fewest requests for a lag verdict: in a short run the p99 is the first few
   * requests, which pay for opening their connections.
   */
  schedulingLagMinCount: number;
}

export const DEFAULT_GENERATOR_LIMITS: GeneratorLimits = {
  loopDelayP99Ms: 20,
  schedulingLagP99Ms: 10,
  schedulingLagMinCount: 1000,
};

/** The `generator` section of summary.json. */
export interface GeneratorHealth {
  workers: number;
  event_loop_delay_p99_ms: number;
  event_loop_delay_max_ms: number;
  late_seconds: number;
  scheduling_lag_p99_ms: number | null;
  dropped: number;
  /**
   * CPU seconds the tokenstorm process used from the start barrier to the end
   * of the load (all its threads: workers, coordinator, and the embedded mock
   * when the target is `mock`), and that divided by the run's duration: the
   * cores it kept busy on average. Null for runs recorded before it was kept.
   */
  cpu_s: number | null;
  cpu_cores: number | null;
  /** True when the generator, not the target, may have limited the run. */
  limited: boolean;
  reasons: string[];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

export function assessGenerator(
  figures: GeneratorFigures,
  limits: GeneratorLimits = DEFAULT_GENERATOR_LIMITS,
): GeneratorHealth {
  const reasons: string[] = [];
  const late = figures.loopDelayP99Ms.filter((d) => d > limits.loopDelayP99Ms).length;
  if (late > 0) {
    reasons.push(
      `event loop late in ${late} worker-second(s) (p99 > ${limits.loopDelayP99Ms} ms): timings include the generator's own delay; add --workers or cores`,
    );
  }
  const lag = figures.schedulingLagP99Ms;
  if (
    lag !== undefined &&
    lag > limits.schedulingLagP99Ms &&
    figures.schedulingLagCount >= limits.schedulingLagMinCount
  ) {
    reasons.push(
      `scheduling lag p99 ${round3(lag)} ms > ${limits.schedulingLagP99Ms} ms: requests left later than planned`,
    );
  }
  if (figures.dropped > 0) {
    reasons.push(
      `${figures.dropped} arrival(s) dropped: every VU was busy (raise max_vus, or the target is past saturation)`,
    );
  }
  const cpu = figures.cpuS;
  const seconds = figures.durationS;
  return {
    workers: figures.workers,
    // A reduce, not Math.max(...): a day-long soak has more worker-seconds than a call takes arguments.
    event_loop_delay_p99_ms: round3(figures.loopDelayP99Ms.reduce((m, d) => Math.max(m, d), 0)),
    event_loop_delay_max_ms: round3(figures.loopDelayMaxMs),
    late_seconds: late,
    scheduling_lag_p99_ms: lag === undefined ? null : round3(lag),
    dropped: figures.dropped,
    cpu_s: cpu === undefined ? null : round3(cpu),
    cpu_cores: cpu === undefined || seconds === undefined || seconds <= 0 ? null : round3(cpu / seconds),
    limited: reasons.length > 0,
    reasons,
  };
}
