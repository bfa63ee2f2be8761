import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { BACK_OFF_MAX_MS, backOffMs, ScriptBackOff } from './back-off.js';
import { executorFor } from './index.js';

/** A closed-model load of the test file format, validated. */
function closedLoad(load: Record<string, unknown>) {
  return parseTest({ scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }], load }, 'inline').load;
}

const never = () => expect.unreachable('a closed model never drops');

describe('closed-model loops between iterations', () => {
  // Each load model's VU loop, with iterations that end at once without any I/O (a flow that
  // throws before sending): a timer must still fire, so stop and deadlines work. Before the fix
  // the loops ran every iteration in microtasks and the 5 ms timer fired only after all of them.
  const limit = 200_000;
  for (const load of [
    { executor: 'constant-vus', vus: 2, iterations: limit },
    { executor: 'shared-iterations', vus: 2, iterations: limit },
    { executor: 'per-vu-iterations', vus: 2, iterations: limit / 2 },
    { executor: 'ramping-vus', start_vus: 2, stages: [{ duration: '1s', target: 2 }] },
  ]) {
    it(`${load.executor}: yields to timers when iterations never wait`, async () => {
      const stop = new AbortController();
      let iterations = 0;
      let atStop = -1;
      setTimeout(() => {
        atStop = iterations;
        stop.abort('test');
      }, 5);
      const { run } = executorFor(closedLoad(load));
      await run(
        {
          clock: createClock(),
          stop: stop.signal,
          runIteration: async () => void iterations++,
          dropped: never,
        },
        1,
      );
      expect(atStop).toBeGreaterThanOrEqual(0);
      expect(atStop).toBeLessThan(limit);
    });
  }

  it('a VU whose iterations end in script errors backs off, longer each time, up to a second', async () => {
    const backOff = new ScriptBackOff();
    const stop = new AbortController();
    const starts: number[] = [];
    const clock = createClock();
    const { run } = executorFor(closedLoad({ executor: 'constant-vus', vus: 1, iterations: 6 }));
    await run(
      {
        clock,
        stop: stop.signal,
        backOff: backOff.pause,
        runIteration: async (vu) => {
          starts.push(clock());
          backOff.failed(vu);
        },
        dropped: never,
      },
      1,
    );
    expect(starts).toHaveLength(6);
    // Waits of 10, 20, 40, 80 and 160 ms between the six (timers never fire early).
    const gaps = starts.slice(1).map((t, i) => t - (starts[i] as number));
    gaps.forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(backOffMs(i + 1) - 1);
    });
  });

  it('the back-off doubles from 10 ms per VU, stops at the cap, and an iteration without script error ends it', () => {
    expect([1, 2, 3, 4, 7, 8, 50].map(backOffMs)).toEqual([
      10,
      20,
      40,
      80,
      640,
      BACK_OFF_MAX_MS,
      BACK_OFF_MAX_MS,
    ]);
    const backOff = new ScriptBackOff();
    expect(backOff.next(0)).toBeUndefined();
    const streak = (vu: number, n: number) =>
      Array.from({ length: n }, () => {
        backOff.failed(vu);
        return backOff.next(vu);
      });
    expect(streak(0, 3)).toEqual([10, 20, 40]);
    // Another VU has its own streak.
    expect(streak(1, 2)).toEqual([10, 20]);
    // VU 0's next iteration recorded no script error: no pause, and its streak starts again.
    expect(backOff.next(0)).toBeUndefined();
    expect(streak(0, 1)).toEqual([10]);
    expect(streak(1, 1)).toEqual([40]);
  });
});
