/**
 * @module engine/run-intake
 * The coordinator's side of the workers' messages: record batches and lines
 * appended to `records.jsonl` as they arrive, states merged into the run's
 * aggregate, dropped arrivals and announced stages counted and written to
 * `events.jsonl`, and each worker's progress kept for the live view and for
 * run.json's `generator`. A worker's `abort` is handed to the caller. Why
 * apart: the coordinator's body reads as the run's sequence, this as the
 * bookkeeping of what each message changes.
 */
import { performance } from 'node:perf_hooks';
import { stepLabelsOf, type Test } from '../config/index.js';
import { ownTallySelectors, RunAggregator, type StageSpan, slosOf, type Tally } from '../metrics/index.js';
import { type JsonlWriter, LineEncoder, type RunInfo } from '../store/index.js';
import type { FromWorker } from './worker-protocol.js';

export interface RunIntakeOptions {
  test: Test;
  workerCount: number;
  /** Stages planned ahead; those a sweep announces while running are added. */
  stages: StageSpan[];
  records: JsonlWriter;
  events: JsonlWriter;
  /** The run clock's 0 (epoch ms), 0 before the start. */
  origin: () => number;
  /** A worker asks to end the run (a bad feeder row, a budget cap): its reason. */
  onAbort: (reason: string) => void;
  /** After each real state is merged (abortOnFail thresholds are judged on it). */
  onState: () => void;
  onTally?: ((delta: Tally, report: { worker: number; seconds: number }) => void) | undefined;
  onDropped?: ((n: number) => void) | undefined;
}

/** The live figures of all workers together. */
export interface IntakeProgress {
  inFlight: number;
  activeVus: number;
  requests: number;
}

/** What the workers' messages add up to over a run. */
export class RunIntake {
  readonly #o: RunIntakeOptions;
  /** The run's aggregate: merging is exact and order-free, so a rebuild from records.jsonl gives the same numbers. */
  readonly aggregator: RunAggregator;
  /** Takes the warm-up's states, which compile the merging code; nothing of it is kept. */
  readonly #scratch: RunAggregator;
  /** Stages planned ahead, plus those a sweep announces while running. */
  readonly stages: StageSpan[];
  /** Each worker's record batches not written yet: a worker past MAX_BACKLOG writes its own text. */
  readonly backlog: Int32Array;
  readonly #lineEncoder = new LineEncoder();
  readonly #inFlight: number[];
  readonly #activeVus: number[];
  /** `[run-clock s, VUs active in all workers]` at each progress message: the VUs chart's measured series. */
  readonly #activeVusAt: [number, number][] = [];
  readonly #loopDelayP99Ms: number[] = [];
  // When each sample arrived on the run clock (s), so a stall can be placed among the windows.
  readonly #loopDelayAtS: number[] = [];
  readonly #loopDelaySampleMaxMs: number[] = [];
  #loopDelayMaxMs = 0;
  #requests = 0;

  constructor(options: RunIntakeOptions) {
    this.#o = options;
    const { test, workerCount, stages } = options;
    this.stages = stages;
    // Threshold selectors beyond a scenario or a step are counted apart, as the workers do.
    const selection = {
      selectors: ownTallySelectors(Object.keys(test.thresholds)),
      labels: stepLabelsOf(test),
    };
    this.aggregator = new RunAggregator({ slos: slosOf(test.slo), stages, ...selection });
    this.#scratch = new RunAggregator({ slos: slosOf(test.slo), stages: [...stages], ...selection });
    this.#inFlight = new Array<number>(workerCount).fill(0);
    this.#activeVus = new Array<number>(workerCount).fill(0);
    this.backlog = new Int32Array(new SharedArrayBuffer(4 * workerCount));
  }

  /** Every message of worker `index` other than ready/done/failed (engine/worker-pool). */
  readonly onMessage = (index: number, message: FromWorker): void => {
    const o = this.#o;
    if (message.type === 'records') {
      // The warm-up's lines are made (the JIT compiles that code before the run) but not written.
      const bytes = this.#lineEncoder.encode(message.batch);
      if (message.warmUp !== true) o.records.writeBytes(bytes);
      Atomics.sub(this.backlog, index, 1);
    } else if (message.type === 'lines') {
      o.records.writeLines(message.text);
    } else if (message.type === 'state' && message.warmUp === true) {
      // Compiles the merging code before the first real state; nothing of this is kept.
      this.#scratch.merge(message.state);
    } else if (message.type === 'state') {
      this.aggregator.merge(message.state);
      this.#requests += RunAggregator.requestsIn(message.state);
      // Made only for a live view (an optional call evaluates no argument): the merge above needs no Tally.
      o.onTally?.(RunAggregator.totalOf(message.state), { worker: index, seconds: message.seconds });
      o.onState();
    } else if (message.type === 'dropped') {
      for (const at of message.at) this.aggregator.addDropped(at);
      o.onDropped?.(message.at.length);
      o.events.write({ type: 'dropped', at: message.at[0], n: message.at.length, times: message.at });
    } else if (message.type === 'stage') {
      this.aggregator.addStage(message.span);
      this.stages.push(message.span);
    } else if (message.type === 'abort') {
      o.onAbort(message.reason);
    } else if (message.type === 'progress') {
      this.#inFlight[index] = message.inFlight;
      this.#activeVus[index] = message.activeVus;
      const origin = o.origin();
      const atS = Math.round(performance.timeOrigin + performance.now() - origin) / 1000;
      if (origin > 0 && atS >= 0) this.#activeVusAt.push([atS, sum(this.#activeVus)]);
      this.#loopDelayP99Ms.push(Math.round(message.loopDelayP99Ms * 1000) / 1000);
      this.#loopDelayAtS.push(atS);
      this.#loopDelaySampleMaxMs.push(Math.round(message.loopDelayMaxMs * 1000) / 1000);
      this.#loopDelayMaxMs = Math.max(this.#loopDelayMaxMs, Math.round(message.loopDelayMaxMs * 1000) / 1000);
    }
  };

  /** In flight, VUs active and requests counted so far, all workers together. */
  progress(): IntakeProgress {
    return { inFlight: sum(this.#inFlight), activeVus: sum(this.#activeVus), requests: this.#requests };
  }

  /** run.json's `generator`: the workers' event-loop delay and VUs over the run, and its CPU seconds. */
  generator(cpuS: number): NonNullable<RunInfo['generator']> {
    return {
      loopDelayP99Ms: this.#loopDelayP99Ms,
      loopDelayAtS: this.#loopDelayAtS,
      loopDelaySampleMaxMs: this.#loopDelaySampleMaxMs,
      loopDelayMaxMs: this.#loopDelayMaxMs,
      cpuS: Math.round(cpuS * 1000) / 1000,
      activeVus: this.#activeVusAt,
    };
  }
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
