import { describe, expect, it } from 'vitest';
import { createSampler, DistributionSchema } from './distribution.js';
import { createRng, deriveSeed, pickWeighted } from './rng.js';

function moments(values: number[]) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, sd: Math.sqrt(variance) };
}

function draw(dist: unknown, n = 20_000, seed = 7): number[] {
  const sample = createSampler(DistributionSchema.parse(dist));
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sample(rng));
}

describe('seeded random sources', () => {
  it('repeats a sequence for a seed and differs across seeds and streams', () => {
    const a = createRng(42);
    const b = createRng(42);
    const xs = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(xs);
    expect(createRng(43)()).not.toBe(xs[0]);
    expect(deriveSeed(1, 1)).not.toBe(deriveSeed(1, 2));
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
  });

  it('picks by weight', () => {
    const rng = createRng(3);
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) (counts[pickWeighted(rng, [7, 9, 10])] as number)++;
    expect((counts[0] as number) / 30_000).toBeCloseTo(0.7, 1);
    expect((counts[1] as number) / 30_000).toBeCloseTo(0.2, 1);
    expect((counts[2] as number) / 30_000).toBeCloseTo(0.1, 1);
  });
});

describe('distributions', () => {
  it('uniform, normal, exponential and lognormal have their moments', () => {
    const u = moments(draw({ dist: 'uniform', min: 10, max: 30 }));
    expect(u.mean).toBeCloseTo(20, 0);
    const n = moments(draw({ dist: 'normal', mean: 2300, stddev: 800 }));
    expect(Math.abs(n.mean - 2300) / 2300).toBeLessThan(0.02);
    expect(Math.abs(n.sd - 800) / 800).toBeLessThan(0.05);
    const e = moments(draw({ dist: 'exponential', mean: 100 }));
    expect(Math.abs(e.mean - 100) / 100).toBeLessThan(0.03);
    expect(Math.abs(e.sd - 100) / 100).toBeLessThan(0.05);
    const ln = draw({ dist: 'lognormal', median: 300, sigma: 0.5 }).sort((a, b) => a - b);
    expect(Math.abs((ln[ln.length / 2] as number) - 300) / 300).toBeLessThan(0.03);
  });

  it('truncates a normal at 0 (or its min) and a constant is constant', () => {
    expect(Math.min(...draw({ dist: 'normal', mean: 10, stddev: 50 }))).toBe(0);
    expect(Math.min(...draw({ dist: 'normal', mean: 10, stddev: 50, min: 5 }))).toBe(5);
    expect(new Set(draw(12, 100))).toEqual(new Set([12]));
  });

  it('rejects an inverted uniform range', () => {
    expect(DistributionSchema.safeParse({ dist: 'uniform', min: 5, max: 1 }).success).toBe(false);
  });
});
