/**
 * @module engine/run-test
 * The coordinator, as the run's sequence: opens the run directory, starts the
 * embedded mock and the load workers in parallel (engine/run-start), awaits
 * their warm-up, sets the run clock's 0 and sends the start, then waits for
 * the workers' ends and writes run.json. Meanwhile the workers' messages go
 * into the aggregate, `records.jsonl` and `events.jsonl` (engine/run-intake,
 * lines reach disk as they arrive, so an interrupt or a crash keeps
 * everything completed); a worker's abort or a failed abortOnFail threshold
 * stops the run early (engine/early-stop); the stop and the deadlines are
 * enforced whatever a worker does (engine/run-end). Log lines, run.json and
 * events are redacted (store/redact) with the test's secret values
 * remembered. `run.json`'s `ended` is written last.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Test } from '../config/index.js';
import { ConfigError } from '../core/index.js';
import { type ExecutionPlan, executorFor } from '../load/index.js';
import type { RunAggregator, Tally, TelemetryScraper } from '../metrics/index.js';
import type { MockThread } from '../sim/mock-thread.js';
import {
  createRunDir,
  defaultRunDir,
  JsonlWriter,
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
import { EarlyStop } from './early-stop.js';
import { endRun, endWhileLoading, RunStops } from './run-end.js';
import { RunIntake } from './run-intake.js';
import {
  defaultWorkerCount,
  keepHeapSteady,
  readyUnlessStopped,
  startEmbeddedMock,
  startLoadWorkers,
} from './run-start.js';
import { telemetryFor } from './telemetry-run.js';
import { startTimeline, type Timeline } from './timeline.js';
import { WorkerFailure, type WorkerPool } from './worker-pool.js';
import type { RecordsMode, TestSource } from './worker-protocol.js';

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

/** run.json as the run opens: the test (its secrets redacted), the workers and what records keep. */
function openingInfo(
  test: Test,
  plan: ExecutionPlan,
  run: { withMock: boolean; workers: number; records: RecordsMode; labels: RunLabels | undefined },
): RunInfo {
  const { workers, records, labels } = run;
  const info: RunInfo = {
    schema: 'tokenstorm.run/v1',
    name: test.name,
    startedAt: new Date().toISOString(),
    target: run.withMock ? 'mock' : redactText(test.target),
    scenarios: test.scenarios.map((s) => s.name),
    thresholds: test.thresholds,
    workers,
    records,
    test: redactSecrets(test),
  };
  if (labels !== undefined) info.labels = redactStrings(labels);
  if (plan.durationMs !== undefined) info.plannedS = plan.durationMs / 1000;
  return info;
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
  const mockStarting = startEmbeddedMock(test, plan);
  let mock: MockThread | undefined;
  const recordsMode = options.records ?? { mode: 'full' };
  let pool: WorkerPool | undefined;
  let timeline: Timeline | undefined;
  let telemetry: TelemetryScraper | undefined;
  try {
    const dir = createRunDir(options.outDir ?? defaultRunDir(test.name));
    const info = openingInfo(test, plan, {
      withMock: mockStarting !== undefined,
      workers: workerCount,
      records: recordsMode,
      labels: options.labels,
    });
    writeRunInfo(dir, info);
    const records = new JsonlWriter(join(dir, RUN_FILES.records));
    const events = new JsonlWriter(join(dir, RUN_FILES.events));
    // Proxies start before the workers, so the first request already goes through them.
    timeline = await startTimeline(test, (line) => events.write(redactStrings(line)), log);
    let origin = 0;
    // A worker's abort and each merged state go to the early stop (the messages come once both exist).
    const intake = new RunIntake({
      test,
      workerCount,
      stages: [...(plan.stages ?? [])],
      records,
      events,
      origin: () => origin,
      onAbort: (reason) => {
        if (early.fromWorker(reason)) pool?.broadcast({ type: 'stop', reason });
      },
      onState: () => early.checkThresholds(),
      onTally: options.onTally,
      onDropped: options.onDropped,
    });
    const { aggregator, stages } = intake;
    const early = new EarlyStop({
      test,
      plan,
      aggregator,
      info,
      stop: options.stop,
      log,
      origin: () => origin,
    });
    const startPool = startLoadWorkers({
      source,
      test,
      plan,
      workerCount,
      records: recordsMode,
      backlog: intake.backlog,
      targetLater: mockStarting !== undefined,
      onMessage: intake.onMessage,
    });
    pool = startPool;
    if (mockStarting !== undefined) {
      mock = await mockStarting;
      log(`embedded mock server at ${mock.url} (its own thread)`);
      startPool.broadcast({ type: 'target', url: `${mock.url}/v1` });
    }
    telemetry = telemetryFor(test, mock?.url, () => origin);
    // An interrupt while the workers load ends the run there: nothing was sent, the workers go.
    if (!(await readyUnlessStopped(startPool.ready, options.stop))) {
      await startPool.terminate();
      await timeline.close();
      records.close();
      events.close();
      endWhileLoading(info, String(options.stop?.reason ?? 'interrupted'));
      writeRunInfo(dir, info);
      return { dir, info, aggregator, interruptedWhileLoading: true, terminated: [] };
    }

    const stops = new RunStops(startPool, {
      stop: options.stop,
      cancel: options.cancel,
      gracefulStopMs: test.load.graceful_stop,
      origin: () => origin,
    });
    early.armThresholds(stops.forThreshold);

    const originEpochMs = performance.timeOrigin + performance.now() + START_MARGIN_MS;
    startPool.broadcast({ type: 'start', originEpochMs });
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
        ...intake.progress(),
      });
    }, 1000);
    progress.unref();
    if (plan.durationMs !== undefined) {
      // A sweep may wait for its last step's requests beyond its duration cap.
      const drainMs = (test.load as { drain_timeout?: number }).drain_timeout ?? 0;
      stops.armDeadline(START_MARGIN_MS, plan.durationMs, drainMs);
    }
    let ends: (number | undefined)[];
    let cpuS = 0;
    try {
      ends = await startPool.finished;
    } finally {
      stops.dispose();
      clearInterval(progress);
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
    info.durationS = Math.max(0, ...ends.filter((e) => e !== undefined), ...stops.stoppedAt) / 1000;
    if (options.afterLoad !== undefined) {
      await options.afterLoad({ dir, aggregator, mockUrl: mock?.url }).catch((err: unknown) => {
        log(`after the load: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    if (stages.length > 0) info.stages = stages;
    if (plan.offered !== undefined) info.offered = plan.offered;
    info.generator = intake.generator(cpuS);
    endRun(info, options.stop, early.reason, stops);
    // The final marker: a run.json without `ended` belongs to a run that was killed.
    writeRunInfo(dir, info);
    return { dir, info, aggregator, interruptedWhileLoading: false, terminated: stops.terminated };
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
