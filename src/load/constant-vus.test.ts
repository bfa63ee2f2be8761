import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { ConstantVus } from './constant-vus.js';

function vusLoad(load: Record<string, unknown>) {
  const test = parseTest(
    {
      scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }],
      load: { executor: 'constant-vus', ...load },
    },
    'inline',
  );
  if (test.load.executor !== 'constant-vus') throw new Error('unreachable');
  return test.load;
}

const never = () => expect.unreachable('a closed model never drops');

describe('constant-vus', () => {
  it('runs exactly the iterations asked for, spread over the VUs, each VU one at a time', async () => {
    const load = vusLoad({ vus: 3, iterations: 10 });
    const seen: number[] = [];
    const busy = new Set<number>();
    await ConstantVus.run(
      load,
      {
        clock: createClock(),
        stop: new AbortController().signal,
        runIteration: async (vu, iteration) => {
          expect(busy.has(vu)).toBe(false);
          busy.add(vu);
          seen.push(iteration);
          await new Promise((r) => setTimeout(r, 5));
          busy.delete(vu);
        },
        dropped: never,
      },
      1,
    );
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  it('stops starting iterations at the deadline', async () => {
    const load = vusLoad({ vus: 2, duration: '200ms' });
    const clock = createClock();
    let started = 0;
    await ConstantVus.run(
      load,
      {
        clock,
        stop: new AbortController().signal,
        runIteration: async () => {
          started++;
          await new Promise((r) => setTimeout(r, 20));
        },
        dropped: never,
      },
      1,
    );
    const ended = clock();
    expect(ended).toBeGreaterThanOrEqual(199);
    // 2 VUs x 200 ms / 20 ms: about 20 iterations; none started after the deadline.
    expect(started).toBeGreaterThanOrEqual(10);
    expect(started).toBeLessThanOrEqual(22);
  });

  it('pauses for the think time between iterations', async () => {
    const load = vusLoad({ vus: 1, iterations: 4, think_time: 50 });
    const clock = createClock();
    const starts: number[] = [];
    await ConstantVus.run(
      load,
      {
        clock,
        stop: new AbortController().signal,
        runIteration: async () => {
          starts.push(clock());
        },
        dropped: never,
      },
      1,
    );
    for (let i = 1; i < starts.length; i++) {
      expect((starts[i] as number) - (starts[i - 1] as number)).toBeGreaterThanOrEqual(49);
    }
  });
});
