/**
 * @module load/arrival-process
 * When arrivals happen within an open model: constant spacing, Poisson, or
 * gamma with a burstiness factor (vLLM's benchmark: shape = burstiness,
 * scale = 1 / (rate · burstiness); 1 is Poisson, below 1 burstier). Seeded.
 */
import { z } from 'zod';
import type { Rng } from '../random/index.js';

/** `constant` (evenly spaced), `poisson`, or `{ gamma: { burstiness } }`. */
export const ArrivalSchema = z
  .union(
    [
      z.literal('constant'),
      z.literal('poisson'),
      z.strictObject({
        gamma: z.strictObject({
          burstiness: z
            .number({ error: 'expected a positive burstiness (1 = Poisson, < 1 burstier)' })
            .positive({ error: 'expected a positive burstiness (1 = Poisson, < 1 burstier)' }),
        }),
      }),
    ],
    { error: 'expected arrival "constant", "poisson" or { gamma: { burstiness: N } }' },
  )
  .default('constant');

export type Arrival = z.output<typeof ArrivalSchema>;

function standardNormal(rng: Rng): number {
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; boosted for shape < 1). */
export function sampleGamma(shape: number, rng: Rng): number {
  if (shape < 1) return sampleGamma(shape + 1, rng) * (1 - rng()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Gaps between arrivals of a unit-rate process (mean 1): time-rescaled by the
 * cumulative rate, they give arrivals that follow any rate curve exactly.
 */
export function unitGaps(arrival: Arrival, rng: Rng): () => number {
  if (arrival === 'constant') return () => 1;
  if (arrival === 'poisson') return () => -Math.log(1 - rng());
  const shape = arrival.gamma.burstiness;
  // Mean shape · (1 / shape) = 1; coefficient of variation 1 / sqrt(burstiness).
  return () => sampleGamma(shape, rng) / shape;
}
