import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import {
  arrivalTime,
  ConstantArrivalRate,
  constantArrivals,
  plannedArrivals,
} from './constant-arrival-rate.js';
import { bindExecutor } from './index.js';

function arrivalLoad(load: Record<string, unknown>) {
  const test = parseTest(
    {
      scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }],
      load: { executor: 'constant-arrival-rate', ...load },
    },
    'inline',
  );
  if (test.load.executor !== 'constant-arrival-rate') throw new Error('unreachable');
  return test.load;
}

describe('constant-arrival-rate', () => {
  it('plans rate x duration arrivals, capped by iterations', () => {
    expect(plannedArrivals(arrivalLoad({ rate: 50, duration: '2s' }))).toBe(100);
    expect(plannedArrivals(arrivalLoad({ rate: 50, duration: '2s', iterations: 30 }))).toBe(30);
    expect(plannedArrivals(arrivalLoad({ rate: 0.5, duration: '3s' }))).toBe(2);
    expect(arrivalTime(arrivalLoad({ rate: 40, duration: '1s' }), 3)).toBe(75);
  });

  it('starts every arrival at its planned time whatever the iterations take', async () => {
    const load = arrivalLoad({ rate: 100, duration: '500ms' });
    const clock = createClock();
    const started: { iteration: number; scheduled: number; at: number }[] = [];
    await ConstantArrivalRate.run(
      load,
      {
        clock,
        stop: new AbortController().signal,
        // Each iteration takes 200 ms: a closed loop would fall behind, an open one must not.
        runIteration: async (_vu, iteration, scheduled) => {
          started.push({ iteration, scheduled, at: clock() });
          await new Promise((r) => setTimeout(r, 200));
        },
        dropped: () => expect.unreachable('nothing should be dropped with 1000 VUs'),
      },
      1,
    );
    expect(started.map((s) => s.iteration)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const first = started[0]?.scheduled ?? 0;
    started.forEach((s, i) => {
      expect(s.scheduled - first).toBeCloseTo(i * 10, 6);
      expect(s.at).toBeGreaterThanOrEqual(s.scheduled);
    });
    // The run lasts its duration even though the last arrival was at 490 ms.
    expect(clock()).toBeGreaterThanOrEqual(500);
  });

  it('drops (never queues) arrivals that find every VU busy', async () => {
    const load = arrivalLoad({ rate: 100, duration: '300ms', max_vus: 2 });
    const clock = createClock();
    const dropped: number[] = [];
    let started = 0;
    await ConstantArrivalRate.run(
      load,
      {
        clock,
        stop: new AbortController().signal,
        runIteration: async () => {
          started++;
          await new Promise((r) => setTimeout(r, 1_000));
        },
        dropped: (scheduled) => dropped.push(scheduled),
      },
      1,
    );
    expect(started).toBe(2);
    expect(dropped).toHaveLength(28);
  });

  it('stops starting arrivals when stopped', async () => {
    const load = arrivalLoad({ rate: 100, duration: '10s' });
    const stop = new AbortController();
    let started = 0;
    setTimeout(() => stop.abort(), 100);
    await ConstantArrivalRate.run(
      load,
      {
        clock: createClock(),
        stop: stop.signal,
        runIteration: async () => {
          started++;
        },
        dropped: () => undefined,
      },
      1,
    );
    expect(started).toBeGreaterThan(3);
    expect(started).toBeLessThan(40);
  });

  it('runs the arrival times drawn before the start, for the seed they were drawn with', async () => {
    const load = arrivalLoad({ rate: 200, duration: '100ms', arrival: 'poisson' });
    const drawn: number[] = [];
    const given: (Float64Array | undefined)[] = [];
    const executor = {
      ...ConstantArrivalRate,
      arrivals: (l: typeof load, seed: number) => {
        drawn.push(seed);
        return ConstantArrivalRate.arrivals(l, seed);
      },
      run: async (_l: typeof load, _ctx: unknown, _seed: number, arrivals?: Float64Array) => {
        given.push(arrivals);
      },
    };
    const bound = bindExecutor(executor, load);
    bound.prepare(7);
    const ctx = {
      clock: createClock(),
      stop: new AbortController().signal,
      runIteration: async () => {},
      dropped: () => {},
    };
    await bound.run(ctx, 7);
    // Another seed than the one prepared draws its own (run gets nothing prepared).
    await bound.run(ctx, 8);
    expect(drawn).toEqual([7]);
    expect(Array.from(given[0] ?? [])).toEqual(Array.from(constantArrivals(load, 7)));
    expect(given[1]).toBeUndefined();
  });
});
