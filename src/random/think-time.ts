/**
 * @module random/think-time
 * Pauses between steps, turns and iterations (a user reading the answer), drawn
 * from a seeded distribution: one stream per VU, so a run reproduces.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createSampler, type Distribution, type Sampler } from './distribution.js';
import { createRng, deriveSeed, type Rng } from './rng.js';

/** Think time of one virtual user: its own seeded stream, so runs reproduce. */
export class ThinkTime {
  private readonly sample: Sampler;
  private readonly rng: Rng;

  constructor(distribution: Distribution, seed: number, vu: number) {
    this.sample = createSampler(distribution);
    this.rng = createRng(deriveSeed(seed, 0x7417 + vu));
  }

  /** Milliseconds of the next pause. */
  next(): number {
    return this.sample(this.rng);
  }

  /** Waits the next pause; resolves early (without throwing) when `signal` aborts. */
  async pause(signal: AbortSignal): Promise<void> {
    const ms = this.next();
    if (ms <= 0 || signal.aborted) return;
    await sleep(ms, undefined, { signal }).catch(() => undefined);
  }
}
