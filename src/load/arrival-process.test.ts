import { describe, expect, it } from 'vitest';
import { arrivalTimes } from './rate-profile.js';

const flat = (rate: number, ms: number) => [
  { atMs: 0, value: rate },
  { atMs: ms, value: rate },
];

function gaps(times: Float64Array): number[] {
  return Array.from(times.subarray(1), (t, i) => t - (times[i] as number));
}

function moments(xs: number[]) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, cv: sd / mean };
}

describe('arrival processes', () => {
  it('Poisson inter-arrivals pass a Kolmogorov-Smirnov test against the exponential', () => {
    // 100/s for 60 s: about 6000 gaps with mean 10 ms.
    const g = gaps(arrivalTimes(flat(100, 60_000), 'poisson', 7)).sort((a, b) => a - b);
    const n = g.length;
    let d = 0;
    g.forEach((x, i) => {
      const cdf = 1 - Math.exp(-x / 10);
      d = Math.max(d, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    });
    // Critical value at alpha = 0.01.
    expect(n).toBeGreaterThan(5800);
    expect(d).toBeLessThan(1.628 / Math.sqrt(n));
    // And a constant process is not exponential: the same test rejects it.
    const even = gaps(arrivalTimes(flat(100, 10_000), 'constant', 7));
    expect(new Set(even.map((x) => Math.round(x * 1e6)))).toEqual(new Set([10_000_000]));
  });

  it('gamma with burstiness 0.5 has a coefficient of variation of 1/sqrt(0.5) (±10%) at the same mean rate', () => {
    const g = gaps(arrivalTimes(flat(100, 100_000), { gamma: { burstiness: 0.5 } }, 11));
    const { mean, cv } = moments(g);
    expect(Math.abs(cv - Math.SQRT2) / Math.SQRT2).toBeLessThan(0.1);
    expect(Math.abs(mean - 10) / 10).toBeLessThan(0.03);
    // Burstiness 1 is Poisson (CV 1); 4 is smoother than Poisson (CV 0.5).
    expect(moments(gaps(arrivalTimes(flat(100, 60_000), { gamma: { burstiness: 1 } }, 3))).cv).toBeCloseTo(
      1,
      1,
    );
    expect(moments(gaps(arrivalTimes(flat(100, 60_000), { gamma: { burstiness: 4 } }, 3))).cv).toBeCloseTo(
      0.5,
      1,
    );
  });

  it('is seeded: same seed, same schedule; another seed, another one', () => {
    const a = arrivalTimes(flat(50, 5000), 'poisson', 1);
    expect(arrivalTimes(flat(50, 5000), 'poisson', 1)).toEqual(a);
    expect(arrivalTimes(flat(50, 5000), 'poisson', 2)).not.toEqual(a);
  });
});
