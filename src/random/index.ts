/**
 * @module random
 * Seeded random sources and distributions shared by the workload (mix, think
 * time), the load models and the simulated servers.
 */
export {
  createSampler,
  type Distribution,
  DistributionSchema,
  nominalMean,
  type Sampler,
} from './distribution.js';
export { createRng, deriveSeed, pickWeighted, type Rng } from './rng.js';
export { ThinkTime } from './think-time.js';
