/**
 * @module sim/prefix-cache
 * The mock's cache: prompt blocks chained by hash (vLLM's automatic prefix
 * caching: a block is reused only when every block before it matches too), or
 * whole prompts (a response cache). Least recently used entries go first.
 */
import type { CacheProfile } from './mock-profile.js';

function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) >>> 0;
}

/** An LRU set of hashes. */
class LruSet {
  private readonly entries = new Map<string, true>();
  constructor(private readonly max: number) {}
  has(key: string): boolean {
    if (!this.entries.has(key)) return false;
    this.entries.delete(key);
    this.entries.set(key, true);
    return true;
  }
  add(key: string): void {
    this.entries.delete(key);
    this.entries.set(key, true);
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value as string);
  }
}

export class PromptCache {
  private readonly seen: LruSet;
  constructor(private readonly profile: CacheProfile) {
    this.seen = new LruSet(profile.max_entries);
  }

  get mode(): CacheProfile['mode'] {
    return this.profile.mode;
  }

  /**
   * Prefix mode: how many leading prompt tokens were cached (whole blocks), then
   * caches this prompt's blocks. Only full blocks are cached, like vLLM.
   */
  prefix(tokenIds: readonly number[]): number {
    const size = this.profile.block_tokens;
    let h = 0x811c9dc5;
    let cached = 0;
    let matching = true;
    for (let start = 0; start + size <= tokenIds.length; start += size) {
      for (let i = start; i < start + size; i++) h = mix(h, tokenIds[i] as number);
      const key = `${h}:${start}`;
      if (matching && this.seen.has(key)) cached += size;
      else {
        matching = false;
        this.seen.add(key);
      }
    }
    return cached;
  }

  /** Response mode: whether this exact request was answered before; remembers it. */
  response(key: string): boolean {
    if (this.seen.has(key)) return true;
    this.seen.add(key);
    return false;
  }
}
