import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { RampingVus } from './ramping-vus.js';

describe('ramping-vus', () => {
  it('starts no iteration after run returned, even when its timer fires before the clock reads the end', async () => {
    const test = parseTest(
      {
        scenarios: [{ name: 's', steps: [{ http: { url: '/' } }] }],
        load: { executor: 'ramping-vus', start_vus: 3, stages: [{ duration: '300ms', target: 3 }] },
      },
      'inline',
    );
    if (test.load.executor !== 'ramping-vus') throw new Error('unreachable');
    // A clock a little slower than the timers: Node's timers may fire a millisecond before the
    // run clock reads their time; slowing the clock makes that window wide enough to hit every time.
    const origin = performance.now();
    const clock = () => (performance.now() - origin) * 0.95;
    let returned = false;
    const late: number[] = [];
    const pending: Promise<void>[] = [];
    await RampingVus.run(
      test.load,
      {
        clock,
        stop: new AbortController().signal,
        runIteration: (_vu, iteration) => {
          if (returned) late.push(iteration);
          const done = sleep(3).then(() => undefined);
          pending.push(done);
          return done;
        },
        dropped: () => expect.unreachable('a closed model never drops'),
      },
      1,
    );
    returned = true;
    await Promise.all(pending);
    await sleep(50);
    expect(pending.length).toBeGreaterThan(3);
    expect(late).toEqual([]);
  });
});
