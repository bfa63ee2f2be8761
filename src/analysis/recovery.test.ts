import { describe, expect, it } from 'vitest';
import { type RecoveryWindow, recoveryOf, timeToIncrease } from './recovery.js';

/** A window with `requests` requests, `errors` of them failed, and p95s. */
const w = (
  start_s: number,
  requests: number,
  errors = 0,
  e2e = 100,
  ttft = 50,
  dropped = 0,
): RecoveryWindow => ({
  start_s,
  requests,
  errors,
  dropped,
  e2e_ms: { p95: e2e },
  ttft_ms: { p95: ttft },
});
const options = { maxErrorRate: 0.01, band: 1.5 };

describe('recoveryOf', () => {
  it('an outage: first error at its start, recovery at the first clean window after it ends, lost = its errors', () => {
    const windows = [
      w(0, 10),
      w(1, 10),
      w(2, 10),
      w(3, 10, 10),
      w(4, 10, 10),
      w(5, 10, 2),
      w(6, 10),
      w(7, 10),
    ];
    const r = recoveryOf({ at: 3, for_s: 2 }, windows, options);
    expect(r).toEqual({
      first_error_s: 0,
      recovered_s: 3,
      recovery_s: 1,
      lost: 22,
      baseline: { e2e_p95_ms: 100, ttft_p95_ms: 50 },
    });
  });

  it('latency outside the pre-event band counts as not recovered, though nothing failed', () => {
    const windows = [w(0, 10), w(1, 10, 0, 120), w(2, 10, 0, 400), w(3, 10, 0, 160), w(4, 10, 0, 140)];
    const r = recoveryOf({ at: 2, for_s: 1 }, windows, options);
    // Baseline p95 median of 100 and 120 = 110; band 165: window 3 (160) is back.
    expect(r.first_error_s).toBeNull();
    expect(r.recovered_s).toBe(1);
    expect(r.recovery_s).toBe(0);
    expect(r.lost).toBe(0);
    expect(r.baseline?.e2e_p95_ms).toBe(110);
  });

  it('a fault nobody saw: recovered at once, nothing lost', () => {
    const r = recoveryOf({ at: 1, for_s: 1 }, [w(0, 5), w(1, 5), w(2, 5)], options);
    expect(r).toMatchObject({ first_error_s: null, recovered_s: 0, recovery_s: 0, lost: 0 });
  });

  it('never recovered: null times, every error and drop after the start lost', () => {
    const r = recoveryOf({ at: 1 }, [w(0, 5), w(1, 5, 5, 100, 50, 2), w(2, 5, 5)], options);
    expect(r).toMatchObject({ first_error_s: 0, recovered_s: null, recovery_s: null, lost: 12 });
  });

  it('failover and failback from served-request counters, to the scrape', () => {
    const a: [number, number][] = [
      [0, 0],
      [0.5, 5],
      [1, 10],
      [1.5, 10],
      [2, 10],
      [2.5, 10],
      [3, 10],
      [3.4, 12],
    ];
    const b: [number, number][] = [
      [0, 0],
      [0.5, 0],
      [1, 0],
      [1.2, 3],
      [1.5, 8],
    ];
    const r = recoveryOf({ at: 1.05, for_s: 2, failover: { from: a, to: b } }, [w(0, 10), w(1, 10)], options);
    expect(r.failover_s).toBe(0.15);
    expect(r.failback_s).toBe(0.35);
    expect(timeToIncrease(b, 2)).toBeNull();
  });
});
