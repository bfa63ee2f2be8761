/**
 * @module engine/worker-main
 * Entry point of a load worker thread: loads the test itself, waits at the
 * start barrier, drives its slice of the load and ships what it measured:
 * its own aggregate once a second, the records kept on disk as text.
 */
import { setMaxListeners } from 'node:events';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { loadTest, parseTest, stepLabelsOf, type Test } from '../config/index.js';
import { ConfigError, type RequestRecord, roundMs } from '../core/index.js';
import { executorFor } from '../load/index.js';
import { ownTallySelectors, priceRecord, priceTableOf, slosOf } from '../metrics/index.js';
import { HttpClient, setResponseLimits } from '../protocols/index.js';
import { redactText, rememberSecrets, secretsOf } from '../store/index.js';
import { Workload } from '../workload/index.js';
import { Budget } from './budget.js';
import { drive } from './drive.js';
import { InFlight } from './in-flight.js';
import { osThreadId } from './thread-priority.js';
import { warmConnections, warmUp, warmUpRequests } from './warm-up.js';
import type { FromWorker, TestSource, ToWorker, WorkerInit } from './worker-protocol.js';
import { WorkerRecorder } from './worker-recorder.js';

if (parentPort === null) throw new Error('worker-main must run in a worker thread');
const port = parentPort;
const init = workerData as WorkerInit;
const post = (message: FromWorker) => port.postMessage(message);
/**
 * The target's URL: given at once, or sent when the embedded mock listens. Listened for from
 * the first instant: a message that arrives while no listener is attached is lost.
 */
const target: Promise<string> =
  init.target !== undefined
    ? Promise.resolve(init.target)
    : new Promise((resolve) => {
        const onMessage = (message: ToWorker) => {
          if (message.type !== 'target') return;
          port.off('message', onMessage);
          resolve(message.url);
        };
        port.on('message', onMessage);
      });
/** Sampling interval of the event-loop delay monitor (ms). */
const LOOP_RESOLUTION_MS = 5;

async function loadSource(source: TestSource): Promise<Test> {
  if ('file' in source) return loadTest(source.file, { overrides: source.overrides ?? {} });
  return parseTest(source.inline, 'test');
}

function nextStart(): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: ToWorker) => {
      if (message.type !== 'start') return;
      port.off('message', onMessage);
      resolve(message.originEpochMs);
    };
    port.on('message', onMessage);
  });
}

async function main(): Promise<void> {
  const test = await loadSource(init.source);
  // The lines this worker writes itself (coordinator behind) scrub the same values the coordinator does.
  rememberSecrets(secretsOf(test));
  setResponseLimits({
    maxBodyBytes: test.limits.max_body_bytes,
    maxSseEventBytes: test.limits.max_sse_event_bytes,
  });
  // A connection per concurrent request; the step timeout bounds every request.
  const dispatcher = new HttpClient({ keepAliveMs: 30_000 });
  const executor = executorFor(test.load);
  const { plan } = executor;
  // Arrival times are drawn now: after the barrier they would delay the whole schedule.
  executor.prepare(test.seed);
  // The warm-up's counts and records go out marked as such: the coordinator warms its merging and
  // its writing of lines with them (cold, that code took the worker's core at the start), then drops them.
  let live = false;
  const backlog = new Int32Array(init.backlog);
  const recorder = new WorkerRecorder({
    slos: slosOf(test.slo),
    stages: plan.stages ?? [],
    selectors: ownTallySelectors(Object.keys(test.thresholds)),
    labels: stepLabelsOf(test),
    records: init.records,
    // Fresh counts every 1,000 warm-up records: the code that starts them (tallies, windows,
    // histograms) then runs while the JIT watches, instead of first in the run (`--trace-deopt`).
    shipEvery: 1000,
    output: {
      batch: (batch) => {
        Atomics.add(backlog, init.workerIndex, 1);
        const message: FromWorker = live
          ? { type: 'records', batch }
          : { type: 'records', batch, warmUp: true };
        port.postMessage(message, [batch.slots.buffer, batch.lists.buffer]);
      },
      lines: (text) => {
        if (live) post({ type: 'lines', text });
      },
      backlog: () => Atomics.load(backlog, init.workerIndex),
      state: (state, seconds) =>
        post(live ? { type: 'state', state, seconds } : { type: 'state', state, seconds, warmUp: true }),
    },
  });
  // Each record is priced as it is made (metrics/cost), so its cost is in records.jsonl and in every aggregate.
  const prices = priceTableOf(test.pricing);
  let budget: Budget | undefined;
  const onRecord = (record: RequestRecord) => {
    priceRecord(record, prices);
    budget?.spend(record);
    recorder.add(record);
  };
  // One clock function for the warm-up and the run, its origin moved to the barrier: optimised
  // code that calls one function is thrown away when it meets another (a deopt per call site).
  // The origin is kept on performance.now()'s scale: reading `timeOrigin` per call left a number on
  // the heap per reading, ~3 % of the worker's allocation at 250 streams (sampling heap profile).
  let sinceTimeOrigin = performance.now();
  const clock = () => performance.now() - sinceTimeOrigin;
  // The request path runs hot from the first arrival: cold code would be measured as the target's latency.
  const warm = await warmUp({
    test,
    plan,
    workers: init.workerCount,
    requests: warmUpRequests(plan, init.workerCount),
    dispatcher,
    onRecord,
    clock,
  }).catch((err: unknown) => {
    process.emitWarning(redactText(`warm-up skipped: ${(err as Error)?.message ?? String(err)}`));
    return undefined;
  });
  recorder.shipEvery = 0;
  recorder.ship();
  live = true;
  // The warm-up needs no target: the embedded mock starts meanwhile, on another thread.
  const targetUrl = await target;
  const workload = new Workload(test, targetUrl, {
    workerIndex: init.workerIndex,
    workerCount: init.workerCount,
  });
  // A bad feeder row found before the start is a bad test (a ConfigError: exit 2, naming the file and line).
  await workload.ready();
  // Connections the load will need at once, opened before the clock starts (TCP set-up is not the schedule's).
  await dispatcher.warm(new URL(targetUrl).origin, warmConnections(plan, init.workerCount));

  const stop = new AbortController();
  const cancelNow = new AbortController();
  // Every VU and request may wait on these: many listeners are expected, not a leak.
  setMaxListeners(0, stop.signal, cancelNow.signal);
  // An exhausted `sequential`/`unique` feeder ends the run as an interrupt would: no new iterations.
  workload.exhausted.addEventListener('abort', () => stop.abort('feeder exhausted'), { once: true });
  // A bad feeder row found during the run stops the whole run: the coordinator stops every worker.
  workload.dataError.addEventListener(
    'abort',
    () => {
      const reason = `feeder data error: ${String(workload.dataError.reason)}`;
      stop.abort(reason);
      post({ type: 'abort', reason });
    },
    { once: true },
  );
  // The budget counts from the start of the load (the warm-up's requests are not the target's).
  if (init.budget !== undefined && test.budget !== undefined) {
    budget = new Budget(init.budget, test.budget, prices, (reason) => {
      stop.abort(reason);
      post({ type: 'abort', reason });
    });
    workload.gate = budget;
  }
  port.on('message', (message: ToWorker) => {
    if (message.type === 'stop') stop.abort(message.reason);
    else if (message.type === 'cancel') cancelNow.abort('cancelled');
  });
  const started = nextStart();
  post({ type: 'ready', thread: osThreadId() });
  sinceTimeOrigin = (await started) - performance.timeOrigin;
  // The barrier: every worker's run clock reads 0 at the same instant.
  const wait = -clock();
  if (wait > 0) await sleep(wait);
  // The first live state covers the run from its start (a live view divides by its span).
  recorder.ship();

  let dropped: number[] = [];
  const flushDropped = setInterval(() => {
    if (dropped.length === 0) return;
    post({ type: 'dropped', at: dropped });
    dropped = [];
  }, 100);
  const inFlight = new InFlight();
  let activeVus = 0;
  let vusTouched = false;
  const iterations = new Int32Array(init.iterations);
  // The generator watches itself: a late event loop distorts every timing it takes.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  const progress = setInterval(() => {
    post({
      type: 'progress',
      inFlight: inFlight.size,
      // Closed models count their running VUs; in an open model a busy VU is an iteration in flight.
      activeVus: vusTouched ? activeVus : inFlight.size,
      // The histogram holds whole timer intervals: the delay is what exceeds the resolution.
      loopDelayP99Ms: loop.count > 0 ? Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS) : 0,
      loopDelayMaxMs: loop.count > 0 ? Math.max(0, loop.max / 1e6 - LOOP_RESOLUTION_MS) : 0,
    });
    loop.reset();
  }, 1000);
  let endMs = 0;
  try {
    endMs = await drive({
      test,
      executor,
      workload,
      dispatcher,
      clock,
      segment: { index: init.workerIndex, count: init.workerCount },
      claimIteration: () => Atomics.add(iterations, 0, 1),
      stop: stop.signal,
      cancelNow: cancelNow.signal,
      onRecord,
      onDropped: (scheduled) => dropped.push(roundMs(scheduled)),
      onStage: (span) => {
        // The coordinator learns of a stage before any state that counts records in it.
        post({ type: 'stage', span });
        recorder.addStage(span);
      },
      inFlight,
      onVuActive: (delta) => {
        vusTouched = true;
        activeVus += delta;
      },
    });
  } finally {
    clearInterval(flushDropped);
    clearInterval(progress);
    loop.disable();
    recorder.close();
    if (dropped.length > 0) post({ type: 'dropped', at: dropped });
    await warm?.close();
    await dispatcher.destroy().catch(() => undefined);
    await workload.close();
  }
  post({ type: 'done', endMs: roundMs(endMs) });
}

main().catch((err: unknown) => {
  post({
    type: 'failed',
    message: redactText(err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err))),
    configError: err instanceof ConfigError,
  });
});
