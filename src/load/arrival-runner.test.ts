import { describe, expect, it } from 'vitest';
import { runArrivals, vuPool } from './arrival-runner.js';

describe('runArrivals', () => {
  it('starts a backlog of due arrivals in batches, yielding to I/O between them', async () => {
    const stop = new AbortController();
    const started: number[] = [];
    const times = new Float64Array(100); // all due at once, as after a stall
    let seenByIo = -1;
    const run = runArrivals(
      {
        clock: () => 1_000,
        stop: stop.signal,
        runIteration: async (_vu, iteration) => {
          started.push(iteration);
        },
        dropped: () => {},
      },
      { times, startMs: 0, free: vuPool(1000) },
    );
    // An I/O-phase callback queued now runs after the first batch, before the rest.
    setImmediate(() => {
      seenByIo = started.length;
    });
    expect(await run).toEqual({ started: 100, dropped: 0 });
    expect(seenByIo).toBeGreaterThan(0);
    expect(seenByIo).toBeLessThan(100);
    expect(started).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
