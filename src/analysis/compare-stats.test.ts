import { describe, expect, it } from 'vitest';
import {
  bootstrapQuantileDeltas,
  mannWhitney,
  medianAndMad,
  prepareSample,
  proportionDeltaInterval,
  quantileSorted,
  subsampleSorted,
  twoProportion,
} from './compare-stats.js';

describe('compare statistics', () => {
  it('interpolates percentiles between order statistics (type 7)', () => {
    const s = Float64Array.from([1, 2, 3, 4]);
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0)).toBe(1);
    expect(quantileSorted(s, 1)).toBe(4);
    expect(quantileSorted(s, 0.9)).toBeCloseTo(3.7, 10);
    expect(quantileSorted(new Float64Array(0), 0.5)).toBeNaN();
  });

  it('subsamples deterministically by rank, keeping both ends', () => {
    const s = Float64Array.from({ length: 10_001 }, (_, i) => i);
    const sub = subsampleSorted(s, 101);
    expect(sub).toHaveLength(101);
    expect(sub[0]).toBe(0);
    expect(sub[100]).toBe(10_000);
    expect(quantileSorted(sub, 0.99)).toBe(quantileSorted(s, 0.99));
    expect(prepareSample([3, Number.NaN, 1, 2], 10)).toEqual(Float64Array.from([1, 2, 3]));
  });

  it('Mann-Whitney: the textbook separated case and ties', () => {
    // U = 9 of 9, z = 4.5 / sqrt(3·3·7/12) = 1.964, two-sided p = 0.0495.
    const r = mannWhitney(Float64Array.from([1, 2, 3]), Float64Array.from([4, 5, 6]));
    expect(r.statistic).toBe(1);
    expect(r.p).toBeCloseTo(0.0495, 3);
    const same = mannWhitney(Float64Array.from([1, 1, 2, 2]), Float64Array.from([1, 1, 2, 2]));
    expect(same.statistic).toBe(0.5);
    expect(same.p).toBe(1);
  });

  it("Newcombe's hybrid score interval matches his worked example", () => {
    // Newcombe (1998), Statistics in Medicine 17:873, table II: 56/70 − 48/80, method 10: 0.0524 to 0.3339.
    const ci = proportionDeltaInterval(48, 80, 56, 70, 0.95);
    expect(ci.low).toBeCloseTo(0.0524, 3);
    expect(ci.high).toBeCloseTo(0.3339, 3);
    expect(twoProportion(48, 80, 56, 70).p).toBeLessThan(0.01);
  });

  it('bootstraps a percentile delta reproducibly, covering the true shift', () => {
    const a = Float64Array.from({ length: 2000 }, (_, i) => i / 2);
    const b = Float64Array.from({ length: 2000 }, (_, i) => i / 2 + 100);
    const options = { resamples: 300, confidence: 0.95, seed: 7 };
    const [p50, p99] = bootstrapQuantileDeltas(a, b, [0.5, 0.99], options);
    expect(p50?.low).toBeLessThan(100);
    expect(p50?.high).toBeGreaterThan(100);
    expect(p99?.low).toBeLessThan(100);
    expect(p99?.high).toBeGreaterThan(100);
    expect(bootstrapQuantileDeltas(a, b, [0.5, 0.99], options)).toEqual([p50, p99]);
  });

  it('median and normal-consistent MAD', () => {
    expect(medianAndMad([1, 2, 3, 4, 100])).toEqual({ median: 3, mad: 1.4826 });
  });
});
