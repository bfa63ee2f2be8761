/**
 * @module engine/run-test
 * Runs a validated test: starts the embedded mock when asked, drives the
 * executor, lets in-flight requests finish within the graceful stop, cancels
 * the rest, and leaves every record on disk.
 */
import { setMaxListeners } from 'node:events';
import { join } from 'node:path';
import { Agent } from 'undici';
import type { Test } from '../config/index.js';
import { executorFor } from '../load/index.js';
import { type RequestRecord, RunAggregator, roundMs } from '../metrics/index.js';
import { createClock } from '../protocols/index.js';
import { startMockInThread } from '../sim/index.js';
import {
  createRunDir,
  defaultRunDir,
  JsonlWriter,
  RUN_FILES,
  type RunInfo,
  redactSecrets,
  writeRunInfo,
} from '../store/index.js';
import { Workload } from '../workload/index.js';
import { InFlight } from './in-flight.js';

export interface RunTestOptions {
  /** Run directory; `runs/<timestamp>-<name>` when absent. */
  outDir?: string | undefined;
  /** Aborting it stops new iterations; in-flight ones get the graceful stop (first Ctrl-C). */
  stop?: AbortSignal | undefined;
  /** Aborting it cancels in-flight requests at once (second Ctrl-C). */
  cancel?: AbortSignal | undefined;
  /** Progress lines for a person (stderr). */
  log?: (line: string) => void;
  /** Called with each record as it completes (live views, tests). */
  onRecord?: (record: RequestRecord) => void;
}

export interface RunTestResult {
  dir: string;
  info: RunInfo;
  aggregator: RunAggregator;
}

/** Why an in-flight request was cancelled is recorded per request; this says why the run ended early. */
function abortReason(signal: AbortSignal | undefined): string | undefined {
  if (!signal?.aborted) return undefined;
  return typeof signal.reason === 'string' ? signal.reason : 'interrupted';
}

export async function runTest(test: Test, options: RunTestOptions = {}): Promise<RunTestResult> {
  const log = options.log ?? (() => undefined);
  const mock = test.target === 'mock' ? await startMockInThread(test.mock ?? {}) : undefined;
  const target = mock === undefined ? test.target : `${mock.url}/v1`;
  if (mock !== undefined) log(`embedded mock server at ${mock.url} (its own thread)`);
  const dispatcher = new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 30_000,
    // The step timeout bounds every request; undici's own timers would misclassify slow streams.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: 10_000 },
  });
  try {
    const workload = new Workload(test, target);
    const dir = createRunDir(options.outDir ?? defaultRunDir(test.name));
    const info: RunInfo = {
      schema: 'tokenstorm.run/v1',
      name: test.name,
      startedAt: new Date().toISOString(),
      target: mock === undefined ? (redactSecrets(test.target) as string) : 'mock',
      scenarios: test.scenarios.map((s) => s.name),
      thresholds: test.thresholds,
      test: redactSecrets(test),
    };
    writeRunInfo(dir, info);
    const records = new JsonlWriter(join(dir, RUN_FILES.records));
    const events = new JsonlWriter(join(dir, RUN_FILES.events));
    const aggregator = new RunAggregator({});
    const cancel = new AbortController();
    // Every in-flight request listens on it: thousands of listeners are expected, not a leak.
    setMaxListeners(0, cancel.signal);
    const stop = options.stop ?? new AbortController().signal;
    const cancelNow = () => cancel.abort('cancelled');
    options.cancel?.addEventListener('abort', cancelNow, { once: true });
    const inFlight = new InFlight();
    const clock = createClock();
    let nextId = 0;
    const sink = (partial: Omit<RequestRecord, 'id'>): void => {
      const record = { id: nextId++, ...partial } as RequestRecord;
      // The file and the aggregator see records in the same order, so a rebuild is exact.
      records.write(record);
      aggregator.add(record);
      options.onRecord?.(record);
    };

    const { plan, run } = executorFor(test.load);
    log(
      `running ${test.name}: ${test.load.executor}, ${plan.durationMs !== undefined ? `${plan.durationMs / 1000}s` : `${plan.iterations} iterations`} against ${info.target}`,
    );
    await run(
      {
        clock,
        stop,
        runIteration: (vu, iteration, scheduled) =>
          inFlight.track(
            workload.runIteration({
              vu,
              iteration,
              scheduled,
              sink,
              dispatcher,
              clock,
              signal: cancel.signal,
            }),
          ),
        dropped: (scheduled) => {
          aggregator.addDropped(scheduled);
          events.write({ type: 'dropped', at: roundMs(scheduled), n: 1 });
        },
      },
      test.seed,
    );

    if (inFlight.size > 0) {
      log(`waiting up to ${test.load.graceful_stop / 1000}s for ${inFlight.size} in-flight iterations`);
      const settled = await inFlight.settle(test.load.graceful_stop, cancel.signal);
      if (!settled) {
        cancel.abort('graceful stop elapsed');
        await inFlight.settle(Number.POSITIVE_INFINITY, undefined);
      }
    }
    options.cancel?.removeEventListener('abort', cancelNow);
    info.durationS = roundMs(clock()) / 1000;
    const aborted = abortReason(options.stop);
    if (aborted !== undefined) info.aborted = aborted;
    records.close();
    events.close();
    writeRunInfo(dir, info);
    return { dir, info, aggregator };
  } finally {
    await dispatcher.destroy().catch(() => undefined);
    await mock?.close();
  }
}
