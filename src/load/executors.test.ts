/**
 * The executor conformance suite: every executor of the list (load/executors.ts)
 * keeps the same promises, checked on a real clock with a fake workload whose
 * iterations are timers. The plan equals what runs (counts exact, times within
 * TOLERANCE_MS), N segments partition the plan (no iteration lost or doubled),
 * an aborted `stop` ends it without starting more, the end of its plan ends it
 * whatever is still in flight (the engine's graceful stop takes those), and an
 * open model's arrivals that find every VU busy are `dropped` at their time.
 * A case per executor is required by type: a new executor without one does not compile.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { type Load, parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import type { StageMeasurement, StageSpan } from '../metrics/index.js';
import { type ExecutionPlan, type ExecutorContext, type IterationData, localCounter } from './executor.js';
import { EXECUTORS, type ExecutorName, lookupExecutor } from './executors.js';
import { executorFor } from './index.js';
import { activeIntervals, rampingVusSchedule } from './ramping-vus.js';
import { vuTargets } from './rate-profile.js';
import { endOf } from './staged.js';
import { tracePlan } from './trace.js';
import { loadTrace } from './trace-file.js';

const SEED = 7;
/**
 * Timing slack on a loaded 2-core machine, on top of the longest stall of the
 * event loop seen during the run (the machine's, not the executor's: a timer
 * the executor sets late or a drop it defers does not stall the loop).
 */
const TOLERANCE_MS = 100;
/** How soon a stopped executor must return: a hang, not a speed, is what this catches. */
const STOP_BOUND_MS = 3_000;
const ITERATION_MS = 15;

const dir = mkdtempSync(join(tmpdir(), 'tokenstorm-conformance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** 24 arrivals 25 ms apart (trace time), each with its own token counts. */
const traceFile = join(dir, 'trace.jsonl');
writeFileSync(
  traceFile,
  Array.from({ length: 24 }, (_, i) =>
    JSON.stringify({ timestamp: 1_000 + i * 25, input_length: 100 + i, output_length: i }),
  ).join('\n'),
);

interface Case {
  /** A small load: the plan is checked against what runs, whole and in segments. */
  load: Record<string, unknown>;
  /** Open model: arrivals at planned times, dropped when every VU is busy. */
  open: boolean;
  /** The small load ends at its planned duration (not when its count is done). */
  timeBound: boolean;
  /** Iterations the small load runs, when its plan cannot say ahead (the sweep decides as it goes). */
  iterations?: number;
  /** A load far longer than the test: for the stop. */
  endless: Record<string, unknown>;
  /** A load whose iterations outlast its duration (ITERATION_MS × 30 each): for the end of the plan. */
  capped: Record<string, unknown>;
  /** Open models: one VU for many arrivals, so most are dropped. */
  overloaded?: Record<string, unknown>;
  /** Planned arrival times, for an open model that has no `arrivals` (the trace). */
  times?: (load: Load) => Float64Array;
  /** What else this executor promises about the small load's run. */
  extra?: (load: Load, run: Outcome) => void;
}

const CASES: Record<ExecutorName, Case> = {
  'constant-vus': {
    load: { vus: 3, duration: '500ms' },
    open: false,
    timeBound: true,
    endless: { vus: 3, duration: '1h' },
    capped: { vus: 2, duration: '300ms' },
  },
  'ramping-vus': {
    load: {
      start_vus: 1,
      stages: [
        { duration: '250ms', target: 3 },
        { duration: '250ms', target: 1 },
      ],
    },
    open: false,
    timeBound: true,
    endless: { stages: [{ duration: '1h', target: 3 }], start_vus: 3 },
    capped: { stages: [{ duration: '300ms', target: 2 }], start_vus: 2 },
    extra: (load, run) => {
      // Each VU runs only while the planned count is above it.
      if (load.executor !== 'ramping-vus') throw new Error('unreachable');
      const { profile } = rampingVusSchedule(load);
      const targets = vuTargets(profile);
      for (const s of run.started) {
        const t = s.at - run.startMs;
        const inside = activeIntervals(targets, endOf(profile), s.vu).some(
          (i) => t >= i.fromMs - run.slack && t < i.toMs + run.slack,
        );
        expect(inside, `VU ${s.vu} started at ${t.toFixed(1)} ms, outside its planned time`).toBe(true);
      }
      expect(new Set(run.started.map((s) => s.vu))).toEqual(new Set([0, 1, 2]));
    },
  },
  'per-vu-iterations': {
    load: { vus: 3, iterations: 5 },
    open: false,
    timeBound: false,
    endless: { vus: 3, iterations: 1_000_000 },
    capped: { vus: 2, iterations: 100, duration: '300ms' },
    extra: (_load, run) => {
      // Numbered by VU: VU v runs v*5 .. v*5+4, whichever segment runs it.
      for (const s of run.started) expect(Math.floor(s.iteration / 5)).toBe(s.vu);
    },
  },
  'shared-iterations': {
    load: { vus: 3, iterations: 20 },
    open: false,
    timeBound: false,
    endless: { vus: 3, iterations: 1_000_000 },
    capped: { vus: 2, iterations: 100, duration: '300ms' },
  },
  'constant-arrival-rate': {
    load: { rate: 40, duration: '500ms', arrival: 'poisson', max_vus: 50 },
    open: true,
    timeBound: true,
    endless: { rate: 40, duration: '1h' },
    capped: { rate: 40, duration: '300ms' },
    overloaded: { rate: 40, duration: '500ms', max_vus: 1 },
  },
  'ramping-arrival-rate': {
    load: {
      start_rate: 20,
      stages: [
        { duration: '250ms', target: 60 },
        { duration: '250ms', target: 20 },
      ],
      arrival: { gamma: { burstiness: 0.5 } },
      max_vus: 50,
    },
    open: true,
    timeBound: true,
    endless: { start_rate: 40, stages: [{ duration: '1h', target: 40 }] },
    capped: { start_rate: 40, stages: [{ duration: '300ms', target: 40 }] },
    overloaded: { start_rate: 40, stages: [{ duration: '500ms', target: 40 }], max_vus: 1 },
  },
  trace: {
    load: { file: traceFile, max_vus: 50 },
    open: true,
    timeBound: true,
    endless: { file: traceFile, speed: 0.001 },
    capped: { file: traceFile, duration: '300ms' },
    overloaded: { file: traceFile, max_vus: 1 },
    times: (load) => {
      if (load.executor !== 'trace') throw new Error('unreachable');
      return tracePlan(loadTrace(load.file), load).times;
    },
    extra: (_load, run) => {
      // Each arrival carries its own row to the workload.
      for (const s of run.started) {
        const row = (s.data as { trace: { input_tokens: number; output_tokens: number } }).trace;
        expect(row).toMatchObject({ input_tokens: 100 + s.iteration, output_tokens: s.iteration });
      }
    },
  },
  sweep: {
    // Two steps pass (the fake measurement counts every request good): 20/s, then 40/s, 400 ms each.
    load: { start: 20, max: 40, step_duration: '300ms', warmup: '100ms', arrival: 'constant', max_vus: 50 },
    open: true,
    timeBound: false,
    iterations: 8 + 16,
    endless: { start: 20, max: 40, step_duration: '1h', warmup: 0 },
    capped: { start: 40, max: 40, step_duration: '1h', warmup: 0, duration: '300ms', drain_timeout: 0 },
    overloaded: {
      start: 40,
      max: 40,
      step_duration: '500ms',
      warmup: 0,
      arrival: 'constant',
      max_vus: 1,
      drain_timeout: 0,
    },
    extra: (_load, run) => {
      // Each step is announced before its arrivals, and they fall within it.
      const steps = run.stages.filter((s) => !s.warmup);
      expect(steps.map((s) => s.target)).toEqual([20, 40]);
      for (const s of run.started) {
        const step = run.stages.find((span) => s.scheduled >= span.startMs && s.scheduled < span.endMs);
        expect(step, `arrival at ${s.scheduled.toFixed(1)} ms outside every announced step`).toBeDefined();
        expect(s.announced).toBeGreaterThan(run.stages.indexOf(step as StageSpan));
      }
    },
  },
};

function loadOf(name: string, fields: Record<string, unknown>): Load {
  const test = parseTest(
    { scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }], load: { executor: name, ...fields } },
    'inline',
  );
  return test.load;
}

interface Started {
  segment: number;
  vu: number;
  iteration: number;
  scheduled: number;
  at: number;
  data: IterationData | undefined;
  /** Stages announced before it started. */
  announced: number;
}

interface Outcome {
  plan: ExecutionPlan;
  startMs: number;
  /** When each segment's `run` resolved. */
  returned: number[];
  started: Started[];
  dropped: { segment: number; scheduled: number; at: number }[];
  stages: StageSpan[];
  /** When the last iteration ended. */
  lastEnd: number;
  /** When the stop was aborted, if it was. */
  stoppedAt: number | undefined;
  mostInFlight: number;
  /** TOLERANCE_MS plus the longest event-loop stall during the run. */
  slack: number;
  /** Broken promises seen while it ran: a VU running two iterations at once, a start after the stop or the end. */
  violations: string[];
}

/** Runs a load as the engine does (one bound executor per segment, a shared iteration counter), with fake iterations. */
async function exercise(
  load: Load,
  options: { segments?: number; iterationMs?: number; stopAfterMs?: number } = {},
): Promise<Outcome> {
  const count = options.segments ?? 1;
  const iterationMs = options.iterationMs ?? ITERATION_MS;
  const clock = createClock();
  const stop = new AbortController();
  const claimIteration = localCounter();
  const busy = new Set<number>();
  const started: Started[] = [];
  const dropped: Outcome['dropped'] = [];
  const stages: StageSpan[] = [];
  const violations: string[] = [];
  const pending: Promise<void>[] = [];
  const returned: number[] = [];
  let inFlight = 0;
  let mostInFlight = 0;
  let activeVus = 0;
  let lastEnd = 0;
  const bound = Array.from({ length: count }, () => executorFor(load));
  for (const b of bound) b.prepare(SEED);
  const context = (index: number): ExecutorContext => ({
    clock,
    stop: stop.signal,
    segment: { index, count },
    claimIteration,
    runIteration: (vu, iteration, scheduled, data) => {
      const at = clock();
      if (stop.signal.aborted) violations.push(`iteration ${iteration} started after the stop`);
      if (returned[index] !== undefined) violations.push(`iteration ${iteration} started after run returned`);
      if (busy.has(vu)) violations.push(`VU ${vu} started iteration ${iteration} while busy`);
      busy.add(vu);
      mostInFlight = Math.max(mostInFlight, ++inFlight);
      started.push({ segment: index, vu, iteration, scheduled, at, data, announced: stages.length });
      const done = sleep(iterationMs).then(() => {
        busy.delete(vu);
        inFlight--;
        lastEnd = clock();
      });
      pending.push(done);
      return done;
    },
    dropped: (scheduled) => {
      if (stop.signal.aborted) violations.push('an arrival dropped after the stop');
      dropped.push({ segment: index, scheduled, at: clock() });
    },
    vuActive: (delta) => {
      activeVus += delta;
      if (activeVus < 0) violations.push('more VUs stopped than started');
    },
    stage: (span) => stages.push(span),
    // Every request of the span counts as good: a sweep climbs to its maximum.
    measure: (fromMs, toMs) => {
      const n = started.filter((s) => s.scheduled >= fromMs && s.scheduled < toMs).length;
      return {
        counts: { requests: n, ok: n, errors: 0, cancelled: 0, dropped: 0, byError: {}, good: n },
        metrics: {},
        rates: {},
      } as unknown as StageMeasurement;
    },
  });
  const stalls = monitorEventLoopDelay({ resolution: 5 });
  stalls.enable();
  const startMs = clock();
  let stoppedAt: number | undefined;
  const timer =
    options.stopAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          stoppedAt = clock();
          stop.abort();
        }, options.stopAfterMs);
  await Promise.all(
    bound.map((b, i) =>
      b.run(context(i), SEED).then(() => {
        returned[i] = clock();
      }),
    ),
  );
  clearTimeout(timer);
  stalls.disable();
  // In-flight iterations end; nothing may start after its segment returned.
  await Promise.all(pending);
  await sleep(TOLERANCE_MS);
  if (activeVus !== 0) violations.push(`${activeVus} VUs still marked active after the run`);
  stop.abort();
  return {
    plan: bound[0]?.plan as ExecutionPlan,
    startMs,
    returned,
    started,
    dropped,
    stages,
    lastEnd,
    stoppedAt,
    mostInFlight,
    slack: TOLERANCE_MS + stalls.max / 1e6,
    violations,
  };
}

/** Planned arrival times (ms from the start) of an open model, when known ahead. */
function plannedTimes(c: Case, load: Load): Float64Array | undefined {
  const executor = lookupExecutor(load);
  return executor.arrivals?.(load, SEED) ?? c.times?.(load);
}

/** How many iterations the load runs, when known ahead. */
function plannedCount(c: Case, load: Load, plan: ExecutionPlan): number | undefined {
  return plan.iterations ?? plannedTimes(c, load)?.length ?? c.iterations;
}

/** Iteration numbers are unique; exactly 0..n-1 when the count is planned, else 0..k-1 for some k. */
function expectPartition(run: Outcome, planned: number | undefined): void {
  const numbers = run.started.map((s) => s.iteration).sort((a, b) => a - b);
  expect(new Set(numbers).size, 'an iteration number ran twice').toBe(numbers.length);
  expect(numbers.length).toBeGreaterThan(0);
  const expected = planned ?? numbers.length;
  expect(numbers).toEqual(Array.from({ length: expected }, (_, i) => i));
}

/** An open model's arrivals start at their planned times (per segment, from its own start), late by at most the tolerance. */
function expectOnSchedule(run: Outcome, times: Float64Array): void {
  const origins = new Map<number, number>();
  for (const s of run.started) {
    const planned = times[s.iteration] as number;
    const origin = origins.get(s.segment) ?? s.scheduled - planned;
    origins.set(s.segment, origin);
    expect(s.scheduled - origin).toBeCloseTo(planned, 6);
    expect(s.at - s.scheduled).toBeGreaterThanOrEqual(-1);
    expect(s.at - s.scheduled, `iteration ${s.iteration} started late`).toBeLessThanOrEqual(run.slack);
  }
  for (const origin of origins.values()) {
    expect(origin - run.startMs).toBeGreaterThanOrEqual(0);
    expect(origin - run.startMs).toBeLessThanOrEqual(run.slack);
  }
}

it('the list is the config: every listed executor parses, an unknown one is told every name', () => {
  expect(new Set(EXECUTORS.map((e) => e.name)).size, 'a name listed twice').toBe(EXECUTORS.length);
  expect(Object.keys(CASES).sort()).toEqual(EXECUTORS.map((e) => e.name).sort());
  for (const entry of EXECUTORS) expect(loadOf(entry.name, CASES[entry.name].load).executor).toBe(entry.name);
  expect(() => loadOf('nope', {})).toThrow(
    'expected executor "constant-vus", "constant-arrival-rate", "ramping-arrival-rate", "ramping-vus", "per-vu-iterations", "shared-iterations", "trace" or "sweep"',
  );
});

describe.each(EXECUTORS.map((e) => [e.name, CASES[e.name]] as const))('executor %s', (name, c) => {
  it('runs its plan: the counts exactly, at the planned times', async () => {
    const load = loadOf(name, c.load);
    const run = await exercise(load);
    expect(run.violations.join('; ')).toBe('');
    expect(run.dropped).toEqual([]);
    expectPartition(run, plannedCount(c, load, run.plan));
    expect(run.mostInFlight).toBeLessThanOrEqual(run.plan.maxConcurrency);
    const times = plannedTimes(c, load);
    if (times !== undefined) expectOnSchedule(run, times);
    // A planned count holds whatever the seed (the plan is made without one).
    const arrivals = lookupExecutor(load).arrivals;
    if (run.plan.iterations !== undefined && arrivals !== undefined) {
      for (const seed of [1, 2, 3, 4, 5]) expect(arrivals(load, seed).length).toBe(run.plan.iterations);
    }
    const returnedAfter = (run.returned[0] as number) - run.startMs;
    if (c.timeBound) {
      expect(run.plan.durationMs).toBeDefined();
      // Node's timers may fire a millisecond or two before the clock reads their time.
      expect(returnedAfter).toBeGreaterThanOrEqual((run.plan.durationMs as number) - 5);
      expect(returnedAfter).toBeLessThanOrEqual((run.plan.durationMs as number) + run.slack);
    } else {
      // Done when its work is done.
      expect((run.returned[0] as number) - run.lastEnd).toBeLessThanOrEqual(run.slack);
    }
    // Nothing starts after the plan's end (a timer may fire late, by the tolerance).
    for (const s of run.started) {
      expect(s.at - run.startMs).toBeLessThanOrEqual(
        (run.plan.durationMs ?? Number.POSITIVE_INFINITY) + run.slack,
      );
    }
    if (!c.open) {
      // A closed model's VUs run back to back from the start: all of them, the plan's most.
      expect(run.mostInFlight).toBe(run.plan.maxConcurrency);
    }
    c.extra?.(load, run);
  });

  it.each([2, 3])('in %i segments runs the plan exactly once, each segment its own VUs', async (segments) => {
    const load = loadOf(name, c.load);
    const run = await exercise(load, { segments });
    expect(run.violations.join('; ')).toBe('');
    expect(run.dropped).toEqual([]);
    expectPartition(run, plannedCount(c, load, run.plan));
    const single = run.plan.singleSegment === true;
    for (const s of run.started) {
      if (single) expect(s.segment).toBe(0);
      else expect(s.vu % segments, `VU ${s.vu} ran in segment ${s.segment}`).toBe(s.segment);
    }
    const times = plannedTimes(c, load);
    if (times !== undefined) expectOnSchedule(run, times);
    c.extra?.(load, run);
  });

  it('returns soon after the stop, starting nothing more', async () => {
    const run = await exercise(loadOf(name, c.endless), { stopAfterMs: 200 });
    expect(run.violations.join('; ')).toBe('');
    expect(run.started.length).toBeGreaterThan(0);
    expect(run.stoppedAt).toBeDefined();
    expect((run.returned[0] as number) - (run.stoppedAt as number)).toBeLessThanOrEqual(STOP_BOUND_MS);
  });

  it('returns at the end of its plan, leaving in-flight iterations to the graceful stop', async () => {
    const load = loadOf(name, c.capped);
    const iterationMs = ITERATION_MS * 30;
    const run = await exercise(load, { iterationMs });
    expect(run.violations.join('; ')).toBe('');
    expect(run.started.length).toBeGreaterThan(0);
    const end = run.plan.durationMs as number;
    expect(end).toBeLessThan(iterationMs);
    expect((run.returned[0] as number) - run.startMs).toBeLessThanOrEqual(end + run.slack);
    // It did return before its iterations ended: they are the engine's to wait for.
    expect(run.returned[0] as number).toBeLessThan(run.lastEnd);
  });

  if (c.overloaded !== undefined) {
    const overloaded = c.overloaded;
    it('drops the arrivals that find every VU busy, counted and at their time', async () => {
      const load = loadOf(name, overloaded);
      const run = await exercise(load, { iterationMs: 1_000 });
      expect(run.violations.join('; ')).toBe('');
      expect(run.started).toHaveLength(1);
      expect(run.dropped.length).toBeGreaterThan(5);
      for (const d of run.dropped) {
        expect(d.at - d.scheduled, 'a drop was delayed').toBeLessThanOrEqual(run.slack);
        expect(d.at - d.scheduled).toBeGreaterThanOrEqual(-1);
      }
      const times = plannedTimes(c, load);
      if (times !== undefined) {
        // Started and dropped together are every planned arrival, each at its planned time.
        expect(run.started.length + run.dropped.length).toBe(times.length);
        const origin = (run.started[0] as Started).scheduled - (times[0] as number);
        const scheduled = [...run.started.map((s) => s.scheduled), ...run.dropped.map((d) => d.scheduled)]
          .sort((a, b) => a - b)
          .map((t) => t - origin);
        scheduled.forEach((t, i) => {
          expect(t).toBeCloseTo(times[i] as number, 6);
        });
      } else {
        expect(run.started.length + run.dropped.length).toBe(20);
      }
    });
  } else {
    it('never drops: a closed model waits for its VUs', async () => {
      const run = await exercise(loadOf(name, c.capped), { iterationMs: 2 * ITERATION_MS });
      expect(run.violations.join('; ')).toBe('');
      expect(run.dropped).toEqual([]);
    });
  }
});
