/**
 * @module random/distribution
 * Distributions for durations and counts (TTFT, think time, output length):
 * a plain number is a constant; an object names the distribution.
 */
import { z } from 'zod';
import type { Rng } from './rng.js';

const nonNegative = z.number().nonnegative();

/**
 * A value drawn per use: `100`, `{ dist: uniform, min: 50, max: 150 }`,
 * `{ dist: normal, mean: 2300, stddev: 800 }` (truncated at `min`, default 0),
 * `{ dist: lognormal, median: 300, sigma: 0.5 }`, `{ dist: exponential, mean: 1000 }`.
 */
export const DistributionSchema = z.union([
  nonNegative,
  z.discriminatedUnion('dist', [
    z.strictObject({ dist: z.literal('constant'), value: nonNegative }),
    z
      .strictObject({ dist: z.literal('uniform'), min: nonNegative, max: nonNegative })
      .refine((d) => d.max >= d.min, { message: 'expected max >= min', path: ['max'] }),
    z.strictObject({
      dist: z.literal('normal'),
      mean: nonNegative,
      stddev: nonNegative,
      min: nonNegative.optional(),
      max: nonNegative.optional(),
    }),
    z.strictObject({
      dist: z.literal('lognormal'),
      median: z.number().positive(),
      sigma: nonNegative,
      max: nonNegative.optional(),
    }),
    z.strictObject({
      dist: z.literal('exponential'),
      mean: z.number().positive(),
      max: nonNegative.optional(),
    }),
  ]),
]);

export type Distribution = z.infer<typeof DistributionSchema>;

/** A function that draws one value of a distribution from the given random source. */
export type Sampler = (rng: Rng) => number;

function standardNormal(rng: Rng): number {
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clamp(x: number, min: number, max: number | undefined): number {
  const low = Math.max(x, min);
  return max !== undefined ? Math.min(low, max) : low;
}

/** Compiles a distribution into a sampler (done once, not per draw). */
export function createSampler(d: Distribution): Sampler {
  if (typeof d === 'number') return () => d;
  switch (d.dist) {
    case 'constant':
      return () => d.value;
    case 'uniform':
      return (rng) => d.min + (d.max - d.min) * rng();
    case 'normal':
      return (rng) => clamp(d.mean + d.stddev * standardNormal(rng), d.min ?? 0, d.max);
    case 'lognormal':
      return (rng) => clamp(d.median * Math.exp(d.sigma * standardNormal(rng)), 0, d.max);
    case 'exponential':
      return (rng) => clamp(-d.mean * Math.log(1 - rng()), 0, d.max);
  }
}

/** The mean of a distribution before truncation; used to document capacity. */
export function nominalMean(d: Distribution): number {
  if (typeof d === 'number') return d;
  switch (d.dist) {
    case 'constant':
      return d.value;
    case 'uniform':
      return (d.min + d.max) / 2;
    case 'normal':
      return d.mean;
    case 'lognormal':
      return d.median * Math.exp((d.sigma * d.sigma) / 2);
    case 'exponential':
      return d.mean;
  }
}
