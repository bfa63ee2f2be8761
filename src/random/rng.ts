/**
 * @module random/rng
 * Seeded pseudo-random source. Every random choice in a run (scenario mix,
 * think time, mock output) draws from one of these, so a seed reproduces a run.
 */

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a tiny 32-bit generator with good statistical quality for
 * simulation (not cryptography). Same seed, same sequence, on every platform.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for a sub-stream (a VU, a request) from a parent seed. */
export function deriveSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 0x9e3779b9, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Picks an index with probability proportional to its weight. */
export function pickWeighted(rng: Rng, cumulativeWeights: readonly number[]): number {
  const total = cumulativeWeights[cumulativeWeights.length - 1] ?? 0;
  const x = rng() * total;
  for (let i = 0; i < cumulativeWeights.length; i++) {
    if (x < (cumulativeWeights[i] as number)) return i;
  }
  return cumulativeWeights.length - 1;
}
