import { describe, expect, it, vi } from 'vitest';
import { InFlight } from './in-flight.js';

/** A promise and the functions that settle it. */
function deferred() {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('InFlight', () => {
  it('counts iterations while they run and how many were ever tracked', async () => {
    const inFlight = new InFlight();
    const a = deferred();
    const b = deferred();
    const tracked = [inFlight.track(a.promise), inFlight.track(b.promise)];
    expect(inFlight.size).toBe(2);
    a.resolve();
    await tracked[0];
    expect(inFlight.size).toBe(1);
    expect(inFlight.started).toBe(2);
    b.resolve();
    await tracked[1];
    expect(inFlight.size).toBe(0);
  });

  it('settles true once the last iteration ends, and false when the time is up first', async () => {
    const inFlight = new InFlight();
    const a = deferred();
    inFlight.track(a.promise);
    expect(await inFlight.settle(20, undefined)).toBe(false);
    const settled = inFlight.settle(10_000, undefined);
    a.resolve();
    expect(await settled).toBe(true);
    expect(await inFlight.settle(10, undefined)).toBe(true);
  });

  it('settles false when the signal aborts first', async () => {
    const inFlight = new InFlight();
    const a = deferred();
    inFlight.track(a.promise);
    const stop = new AbortController();
    const settled = inFlight.settle(Number.POSITIVE_INFINITY, stop.signal);
    stop.abort();
    expect(await settled).toBe(false);
    a.resolve();
  });

  it('reports an iteration that threw, resolves its promise and counts it as ended', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const inFlight = new InFlight();
      const a = deferred();
      const tracked = inFlight.track(a.promise);
      a.reject(new Error('boom'));
      await expect(tracked).resolves.toBeUndefined();
      expect(inFlight.size).toBe(0);
      expect(String(warn.mock.calls[0]?.[0])).toMatch(/iteration failed unexpectedly: Error: boom/);
    } finally {
      warn.mockRestore();
    }
  });
});
