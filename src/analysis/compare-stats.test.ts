import { describe, expect, it } from 'vitest';
import { createRng } from '../random/index.js';
import {
  baselineSpread,
  bootstrapQuantileDeltas,
  mannWhitney,
  medianAndMad,
  predictionFactor,
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

  it('the spread of a few runs leaves out the one in five furthest from their median', () => {
    // median 3; 100 is left out; the standard deviation of 1, 2, 3, 4 is 1.291.
    const { median, spread } = baselineSpread([1, 2, 3, 4, 100]);
    expect(median).toBe(3);
    expect(spread).toBeCloseTo(1.291, 4);
    expect(baselineSpread([5, 5, 5, 5, 5]).spread).toBe(0);
    // Fewer than five: nothing left out.
    expect(baselineSpread([1, 2, 3]).spread).toBeCloseTo(1, 10);
  });

  it('the prediction factor bounds a new run of the same distribution at its level', () => {
    // Independent draws (another seed than the factor's own simulation): a new value lies beyond
    // median + q·spread of n earlier ones in about 1 − level of the trials.
    const rng = createRng(99);
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
    for (const [n, level] of [
      [5, 0.99],
      [10, 0.95],
    ] as const) {
      const q = predictionFactor(n, level);
      const trials = 20_000;
      let beyond = 0;
      for (let t = 0; t < trials; t++) {
        const { median, spread } = baselineSpread(Array.from({ length: n }, normal));
        if (normal() - median > q * spread) beyond++;
      }
      const expected = (1 - level) * trials;
      expect(Math.abs(beyond - expected), `n ${n} level ${level}: ${beyond} beyond`).toBeLessThan(
        4 * Math.sqrt(expected) + 0.1 * expected,
      );
    }
    // Five runs' spread is uncertain: the factor is far above a fixed 3, and shrinks with more runs.
    expect(predictionFactor(5, 0.99)).toBeGreaterThan(6);
    expect(predictionFactor(20, 0.99)).toBeLessThan(predictionFactor(5, 0.99));
    expect(predictionFactor(5, 0.99)).toBe(predictionFactor(5, 0.99));
  });
});
