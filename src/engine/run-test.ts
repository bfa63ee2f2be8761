/**
 * @module engine/run-test
 * The coordinator: starts the embedded mock when asked, spreads the load over
 * worker threads (each a deterministic slice of the plan), merges the
 * aggregates they ship into the run's and appends their record lines to
 * `records.jsonl`. Lines reach disk as they arrive, so an interrupt or a
 * crash keeps everything completed. Log lines, run.json and events are
 * redacted (store/redact) with the test's secret values remembered. The
 * coordinator enforces the stop and the run's deadline whatever a worker
 * does: one that has not ended within the grace period is terminated (its
 * event loop may never run again, e.g. a flow spinning synchronously).
 * `run.json`'s `ended` is written last.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import {
  createThresholdSource,
  failingAbortThreshold,
  hasAbortOnFail,
  type Thresholds,
} from '../analysis/index.js';
import { stepLabelsOf, type Test } from '../config/index.js';
import { ConfigError } from '../core/index.js';
import { executorFor } from '../load/index.js';
import {
  ownTallySelectors,
  RunAggregator,
  type StageSpan,
  slosOf,
  type Tally,
  type TelemetryScraper,
} from '../metrics/index.js';
import { type MockThread, startMockInThread } from '../sim/mock-thread.js';
import {
  createRunDir,
  defaultRunDir,
  JsonlWriter,
  LineEncoder,
  RUN_FILES,
  type RunInfo,
  type RunLabels,
  redactSecrets,
  redactStrings,
  redactText,
  rememberSecrets,
  secretsOf,
  writeRunInfo,
} from '../store/index.js';
import { budgetBuffer } from './budget.js';
import { HEAVY_SHARE_PER_S, peakShare, youngGenerationMb } from './heavy-load.js';
import { telemetryFor } from './telemetry-run.js';
import { startTimeline, type Timeline } from './timeline.js';
import { startWorkers, WorkerFailure, type WorkerPool } from './worker-pool.js';
import type { FromWorker, RecordsMode, TestSource, WorkerInit } from './worker-protocol.js';

/** Live figures for a progress view, about once a second. */
export interface RunProgress {
  elapsedMs: number;
  plannedMs: number | undefined;
  inFlight: number;
  /** Closed models: VUs running; open models: VUs busy with an iteration. */
  activeVus: number;
  requests: number;
}

export interface RunTestOptions {
  /** Run directory; `runs/<timestamp>-<name>` when absent. */
  outDir?: string | undefined;
  /** Load worker threads; default: one per core, less one for the embedded mock. */
  workers?: number | undefined;
  /** What reaches records.jsonl (histograms are exact whatever this is). */
  records?: RecordsMode | undefined;
  /** Aborting it stops new iterations; in-flight ones get the graceful stop (first Ctrl-C). */
  stop?: AbortSignal | undefined;
  /** Aborting it cancels in-flight requests at once (second Ctrl-C). */
  cancel?: AbortSignal | undefined;
  /** Progress lines for a person (stderr). */
  log?: ((line: string) => void) | undefined;
  /** What a worker counted over the `seconds` since its last report, about once a second (live views). */
  onTally?: ((delta: Tally, report: { worker: number; seconds: number }) => void) | undefined;
  onProgress?: ((progress: RunProgress) => void) | undefined;
  /** Arrivals the executor could not start in time, as they are counted (live views). */
  onDropped?: ((n: number) => void) | undefined;
  /** Written into run.json for the run history. */
  labels?: RunLabels | undefined;
  /**
   * Runs once the load has ended and before the embedded mock stops (after-run quality
   * scorers may call the mock); what it throws is logged, never fails the run.
   */
  afterLoad?:
    | ((ctx: { dir: string; aggregator: RunAggregator; mockUrl: string | undefined }) => Promise<void>)
    | undefined;
}

export interface RunTestResult {
  dir: string;
  info: RunInfo;
  aggregator: RunAggregator;
  /** The stop arrived while the workers were loading: the load never started. */
  interruptedWhileLoading: boolean;
  /** Workers terminated because they did not stop in time (their handed-over records are on disk). */
  terminated: number[];
}

/** Margin for every worker to receive the start message before the run clock reads 0. */
const START_MARGIN_MS = 50;
/**
 * What a worker gets beyond the graceful stop to end its load and report
 * (closing connections, shipping its last records) before the coordinator
 * terminates it: after a stop, after a second interrupt, and past the deadline.
 */
export const STOP_MARGIN_MS = 5000;

/** At most this often the abortOnFail thresholds are evaluated (on a worker's state arriving). */
const ABORT_CHECK_MS = 250;

/** Seconds for a message: `1.4`. */
function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10}`;
}

/**
 * V8's memory reducer is off while tokenstorm generates load (for the whole
 * process: the flag is read each time the reducer would start). The
 * coordinator is idle most of the time, so V8 took it for an idle page and
 * ran heap-shrinking full GCs on it: 26-31 ms pauses every few seconds that
 * stalled a worker sharing its core (10,000 arrivals/s on one core: per-second
 * lag p99 up to 48 ms; with the reducer off, 1.6 ms run-wide, `--trace-gc`).
 */
function keepHeapSteady(): void {
  setFlagsFromString('--no-memory-reducer');
}

/** Resolves true once every worker is ready, false if `stop` aborts first. */
async function readyUnlessStopped(ready: Promise<void>, stop: AbortSignal | undefined): Promise<boolean> {
  if (stop === undefined) {
    await ready;
    return true;
  }
  if (stop.aborted) return false;
  let onAbort: () => void = () => undefined;
  const stopped = new Promise<boolean>((resolve) => {
    onAbort = () => resolve(false);
    stop.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([ready.then(() => true), stopped]);
  } finally {
    stop.removeEventListener('abort', onAbort);
  }
}

/** One worker per core, leaving one core to the embedded mock when there is one. */
export function defaultWorkerCount(withMock: boolean): number {
  return Math.max(1, availableParallelism() - (withMock ? 1 : 0));
}

/** Runs a validated test (`test`, loaded again by each worker from `source`). */
export async function runTest(
  source: TestSource,
  test: Test,
  options: RunTestOptions = {},
): Promise<RunTestResult> {
  // The test's secret values are scrubbed verbatim from everything this thread writes (store/redact).
  rememberSecrets(secretsOf(test));
  const sink = options.log;
  const log = sink === undefined ? () => undefined : (line: string) => sink(redactText(line));
  keepHeapSteady();
  const workerCount = options.workers ?? defaultWorkerCount(test.target === 'mock');
  const { plan } = executorFor(test.load);
  // The mock and the workers load their code in parallel: the mock is awaited once the workers started.
  const mockStarting =
    test.target === 'mock'
      ? startMockInThread(test.mock ?? {}, {
          // A heavy load keeps V8's default for the mock, as before; a light one's start-up needs less.
          youngGenerationMb:
            peakShare(plan, 1) >= HEAVY_SHARE_PER_S ? undefined : youngGenerationMb(peakShare(plan, 1)),
        })
      : undefined;
  mockStarting?.catch(() => undefined);
  let mock: MockThread | undefined;
  const recordsMode = options.records ?? { mode: 'full' };
  let pool: WorkerPool | undefined;
  let timeline: Timeline | undefined;
  let telemetry: TelemetryScraper | undefined;
  try {
    const dir = createRunDir(options.outDir ?? defaultRunDir(test.name));
    const info: RunInfo = {
      schema: 'tokenstorm.run/v1',
      name: test.name,
      startedAt: new Date().toISOString(),
      target: mockStarting === undefined ? redactText(test.target) : 'mock',
      scenarios: test.scenarios.map((s) => s.name),
      thresholds: test.thresholds,
      workers: workerCount,
      records: recordsMode,
      test: redactSecrets(test),
    };
    if (options.labels !== undefined) info.labels = redactStrings(options.labels);
    if (plan.durationMs !== undefined) info.plannedS = plan.durationMs / 1000;
    writeRunInfo(dir, info);
    const records = new JsonlWriter(join(dir, RUN_FILES.records));
    const events = new JsonlWriter(join(dir, RUN_FILES.events));
    // Proxies start before the workers, so the first request already goes through them.
    timeline = await startTimeline(test, (line) => events.write(redactStrings(line)), log);
    let origin = 0;
    // Stages planned ahead, plus those a sweep announces while running.
    const stages: StageSpan[] = [...(plan.stages ?? [])];
    // Threshold selectors beyond a scenario or a step are counted apart, as the workers do.
    const selection = {
      selectors: ownTallySelectors(Object.keys(test.thresholds)),
      labels: stepLabelsOf(test),
    };
    const aggregator = new RunAggregator({ slos: slosOf(test.slo), stages, ...selection });
    const scratch = new RunAggregator({ slos: slosOf(test.slo), stages: [...stages], ...selection });
    const inFlight = new Array<number>(workerCount).fill(0);
    const activeVus = new Array<number>(workerCount).fill(0);
    /** `[run-clock s, VUs active in all workers]` at each progress message: the VUs chart's measured series. */
    const activeVusAt: [number, number][] = [];
    const loopDelayP99Ms: number[] = [];
    // When each sample arrived on the run clock (s), so a stall can be placed among the windows.
    const loopDelayAtS: number[] = [];
    const loopDelaySampleMaxMs: number[] = [];
    let loopDelayMaxMs = 0;
    let requests = 0;
    /** Why a worker ended the run early (a bad feeder row), or the abortOnFail threshold that did. */
    let abortedBy: string | undefined;
    /** Stops the workers for an abortOnFail threshold (set once they run, with the grace deadline). */
    let stopForThreshold: ((reason: string) => void) | undefined;
    const abortable = hasAbortOnFail(test.thresholds as Thresholds);
    let abortCheckedAt = Number.NEGATIVE_INFINITY;
    /**
     * Evaluates the abortOnFail thresholds on what the workers have shipped so far (their
     * states come about once a second, a window's worth), at most every ABORT_CHECK_MS.
     */
    const checkAbort = (): void => {
      if (!abortable || abortedBy !== undefined || stopForThreshold === undefined) return;
      const now = performance.now();
      if (now - abortCheckedAt < ABORT_CHECK_MS) return;
      abortCheckedAt = now;
      const elapsedMs = performance.timeOrigin + now - origin;
      // Only while the load runs: the states shipped as it ends (or after an interrupt) judge a
      // run that is over, whose end-of-run thresholds say the rest.
      if (options.stop?.aborted || (plan.durationMs !== undefined && elapsedMs >= plan.durationMs)) return;
      const core = aggregator.snapshot({
        name: test.name,
        startedAt: info.startedAt,
        durationS: Math.max(0, elapsedMs) / 1000,
        scenarios: info.scenarios,
      });
      const failed = failingAbortThreshold(
        test.thresholds as Thresholds,
        createThresholdSource(aggregator, core),
        elapsedMs,
      );
      if (failed === undefined || failed.value === null) return;
      const atS = Math.round(elapsedMs) / 1000;
      info.abortedByThreshold = {
        threshold: `${failed.metric} ${failed.expr}`,
        metric: failed.metric,
        expr: failed.expr,
        value: failed.value,
        at_s: atS,
      };
      abortedBy = `threshold "${failed.metric}: ${failed.expr}" failed at ${atS} s (value ${failed.value}; abortOnFail)`;
      log(`stopping the run: ${abortedBy}`);
      stopForThreshold(abortedBy);
    };

    // Each worker's record batches not written yet: a worker past MAX_BACKLOG writes its own text.
    const backlog = new Int32Array(new SharedArrayBuffer(4 * workerCount));
    const lineEncoder = new LineEncoder();

    const onMessage = (index: number, message: FromWorker): void => {
      if (message.type === 'records') {
        // The warm-up's lines are made (the JIT compiles that code before the run) but not written.
        const bytes = lineEncoder.encode(message.batch);
        if (message.warmUp !== true) records.writeBytes(bytes);
        Atomics.sub(backlog, index, 1);
      } else if (message.type === 'lines') {
        records.writeLines(message.text);
      } else if (message.type === 'state' && message.warmUp === true) {
        // Compiles the merging code before the first real state; nothing of this is kept.
        scratch.merge(message.state);
      } else if (message.type === 'state') {
        // Merging is exact and order-free, so a rebuild from records.jsonl gives the same numbers.
        aggregator.merge(message.state);
        requests += RunAggregator.requestsIn(message.state);
        // Made only for a live view (an optional call evaluates no argument): the merge above needs no Tally.
        options.onTally?.(RunAggregator.totalOf(message.state), { worker: index, seconds: message.seconds });
        checkAbort();
      } else if (message.type === 'dropped') {
        for (const at of message.at) aggregator.addDropped(at);
        options.onDropped?.(message.at.length);
        events.write({ type: 'dropped', at: message.at[0], n: message.at.length, times: message.at });
      } else if (message.type === 'stage') {
        aggregator.addStage(message.span);
        stages.push(message.span);
      } else if (message.type === 'abort') {
        if (abortedBy === undefined) {
          abortedBy = message.reason;
          log(`stopping the run: ${message.reason}`);
          pool?.broadcast({ type: 'stop', reason: message.reason });
        }
      } else if (message.type === 'progress') {
        inFlight[index] = message.inFlight;
        activeVus[index] = message.activeVus;
        const atS = Math.round(performance.timeOrigin + performance.now() - origin) / 1000;
        if (origin > 0 && atS >= 0) activeVusAt.push([atS, activeVus.reduce((a, b) => a + b, 0)]);
        loopDelayP99Ms.push(Math.round(message.loopDelayP99Ms * 1000) / 1000);
        loopDelayAtS.push(atS);
        loopDelaySampleMaxMs.push(Math.round(message.loopDelayMaxMs * 1000) / 1000);
        loopDelayMaxMs = Math.max(loopDelayMaxMs, Math.round(message.loopDelayMaxMs * 1000) / 1000);
      }
    };

    // One counter for all workers, so an `iterations` bound holds run-wide.
    const iterations = new SharedArrayBuffer(4);
    // Likewise the budget's counters, so a cap holds run-wide.
    const budgetCounters = test.budget === undefined ? undefined : budgetBuffer();
    const init = (workerIndex: number): WorkerInit => ({
      source,
      // Sent in a `target` message once the embedded mock listens.
      target: mockStarting === undefined ? test.target : undefined,
      workerIndex,
      workerCount,
      iterations,
      records: recordsMode,
      backlog: backlog.buffer as SharedArrayBuffer,
      budget: budgetCounters,
    });
    const young = youngGenerationMb(peakShare(plan, workerCount));
    const startPool = startWorkers(workerCount, init, onMessage, young);
    pool = startPool;
    if (mockStarting !== undefined) {
      mock = await mockStarting;
      log(`embedded mock server at ${mock.url} (its own thread)`);
      startPool.broadcast({ type: 'target', url: `${mock.url}/v1` });
    }
    telemetry = telemetryFor(test, mock?.url, () => origin);
    // An interrupt while the workers load ends the run there: nothing was sent, the workers go.
    if (!(await readyUnlessStopped(startPool.ready, options.stop))) {
      const reason = String(options.stop?.reason ?? 'interrupted');
      await startPool.terminate();
      await timeline.close();
      records.close();
      events.close();
      info.durationS = 0;
      info.aborted = reason;
      info.ended = {
        at: new Date().toISOString(),
        complete: false,
        reason: `interrupted by ${reason} while loading: the load did not start`,
      };
      writeRunInfo(dir, info);
      return { dir, info, aggregator, interruptedWhileLoading: true, terminated: [] };
    }

    const { broadcast } = startPool;
    // Workers that have not ended by a deadline are terminated; the earliest deadline armed wins.
    const terminated: number[] = [];
    const stoppedAt: number[] = [];
    const why: string[] = [];
    let killTimer: NodeJS.Timeout | undefined;
    let killAt = Number.POSITIVE_INFINITY;
    const killAfter = (ms: number, reason: string) => {
      const at = performance.now() + ms;
      if (at >= killAt) return;
      killAt = at;
      clearTimeout(killTimer);
      killTimer = setTimeout(() => {
        // Recorded before the terminated workers' exits can settle `finished`.
        const late = startPool.terminateLate();
        if (late.length === 0) return;
        terminated.push(...late);
        stoppedAt.push(performance.timeOrigin + performance.now() - origin);
        const many = late.length > 1;
        why.push(
          `load worker${many ? 's' : ''} ${late.join(', ')} did not stop ${reason} and ${many ? 'were' : 'was'} terminated; the records ${many ? 'they' : 'it'} had handed over are kept`,
        );
      }, ms);
    };
    const graceMs = test.load.graceful_stop + STOP_MARGIN_MS;
    const onStop = () => {
      const reason = String(options.stop?.reason ?? 'interrupted');
      broadcast({ type: 'stop', reason });
      killAfter(graceMs, `within ${seconds(graceMs)} s of ${reason}`);
    };
    const onCancel = () => {
      broadcast({ type: 'cancel' });
      killAfter(STOP_MARGIN_MS, `within ${seconds(STOP_MARGIN_MS)} s of the second interrupt`);
    };
    stopForThreshold = (reason) => {
      broadcast({ type: 'stop', reason });
      killAfter(graceMs, `within ${seconds(graceMs)} s of the abortOnFail stop`);
    };
    options.stop?.addEventListener('abort', onStop, { once: true });
    options.cancel?.addEventListener('abort', onCancel, { once: true });
    // An interrupt while the workers were loading must still reach them.
    if (options.stop?.aborted) onStop();
    if (options.cancel?.aborted) onCancel();

    const originEpochMs = performance.timeOrigin + performance.now() + START_MARGIN_MS;
    broadcast({ type: 'start', originEpochMs });
    // The whole process (every thread): what generating this load cost, without start-up and warm-up.
    const cpuAtStart = process.cpuUsage();
    origin = originEpochMs;
    info.clockOriginEpochMs = originEpochMs;
    // Written now as well, so a run killed before its end still lines up with other clocks.
    writeRunInfo(dir, info);
    timeline.arm(originEpochMs);
    telemetry?.start();
    log(
      `running ${test.name}: ${test.load.executor}, ${plan.durationMs !== undefined ? `${plan.durationMs / 1000}s` : `${plan.iterations} iterations`} against ${info.target} with ${workerCount} worker${workerCount > 1 ? 's' : ''}`,
    );
    const progress = setInterval(() => {
      options.onProgress?.({
        elapsedMs: performance.timeOrigin + performance.now() - originEpochMs,
        plannedMs: plan.durationMs,
        inFlight: inFlight.reduce((a, b) => a + b, 0),
        activeVus: activeVus.reduce((a, b) => a + b, 0),
        requests,
      });
    }, 1000);
    progress.unref();
    if (plan.durationMs !== undefined) {
      // A sweep may wait for its last step's requests beyond its duration cap.
      const drainMs = (test.load as { drain_timeout?: number }).drain_timeout ?? 0;
      const deadlineMs = START_MARGIN_MS + plan.durationMs + drainMs + graceMs;
      killAfter(
        deadlineMs,
        `by the run's deadline (${seconds(plan.durationMs)} s${drainMs > 0 ? ` + ${seconds(drainMs)} s drain` : ''} + ${seconds(graceMs)} s)`,
      );
    }
    let ends: (number | undefined)[];
    let cpuS = 0;
    try {
      ends = await startPool.finished;
    } finally {
      clearTimeout(killTimer);
      clearInterval(progress);
      options.stop?.removeEventListener('abort', onStop);
      options.cancel?.removeEventListener('abort', onCancel);
      const cpu = process.cpuUsage(cpuAtStart);
      cpuS = (cpu.user + cpu.system) / 1e6;
      // Reverting active faults writes their lines, so the timeline closes before the events file.
      await timeline.close();
      if (test.events !== undefined) info.events = timeline.marks();
      if (telemetry !== undefined) info.telemetry = await telemetry.stop();
      if (test.recovery !== undefined) info.recovery = test.recovery;
      records.close();
      events.close();
    }
    info.durationS = Math.max(0, ...ends.filter((e) => e !== undefined), ...stoppedAt) / 1000;
    if (options.afterLoad !== undefined) {
      await options.afterLoad({ dir, aggregator, mockUrl: mock?.url }).catch((err: unknown) => {
        log(`after the load: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    if (stages.length > 0) info.stages = stages;
    if (plan.offered !== undefined) info.offered = plan.offered;
    info.generator = {
      loopDelayP99Ms,
      loopDelayAtS,
      loopDelaySampleMaxMs,
      loopDelayMaxMs,
      cpuS: Math.round(cpuS * 1000) / 1000,
      activeVus: activeVusAt,
    };
    if (options.stop?.aborted) info.aborted = String(options.stop.reason ?? 'interrupted');
    else if (abortedBy !== undefined) info.aborted = abortedBy;
    info.ended = {
      at: new Date().toISOString(),
      complete: info.aborted === undefined && terminated.length === 0,
    };
    if (!info.ended.complete) {
      const after = `after ${seconds(info.durationS * 1000)} s${info.plannedS === undefined ? '' : ` of ${info.plannedS} s`}`;
      const interrupted =
        info.aborted === undefined
          ? []
          : [
              options.stop?.aborted
                ? `interrupted by ${info.aborted} ${after}`
                : `stopped ${after}: ${info.aborted}`,
            ];
      info.ended.reason = [...interrupted, ...why].join('; ');
    }
    if (terminated.length > 0) info.ended.terminatedWorkers = terminated;
    // The final marker: a run.json without `ended` belongs to a run that was killed.
    writeRunInfo(dir, info);
    return { dir, info, aggregator, interruptedWhileLoading: false, terminated };
  } catch (err) {
    if (err instanceof WorkerFailure && err.configError) throw new ConfigError(err.message);
    throw err;
  } finally {
    await pool?.terminate();
    await timeline?.close();
    await telemetry?.stop();
    // A mock still starting when the run failed is closed once it has started.
    await (mock ?? (await mockStarting?.catch(() => undefined)))?.close();
  }
}
