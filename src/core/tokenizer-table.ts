/**
 * @module core/tokenizer-table
 * The tokenizer's rank table: a {@link Vocabulary} (every token's bytes end to end and an
 * offset per rank, read by core/tiktoken.ts) and an open-addressing hash table from a token's
 * bytes to its rank. Only core/tokenizer.ts and its own files import it (lint rule
 * `tokenizer-tables-private`): a table is built on a thread's first count, never at import.
 *
 * Contract: {@link RankTable.find} gives the rank of any byte string that is a token, else -1;
 * {@link RankTable.findAscii} the same for an ASCII string straight from its character codes
 * (no UTF-8 copy). The constructor throws on a vocabulary with two ranks of one token or more
 * ranks than an entry holds.
 *
 * Why typed arrays: gpt-tokenizer holds these as a 200,000-entry `Map` of strings and an array
 * of strings and arrays, ~50 MB of RSS in every thread that counts; here ~3 MB outside the heap.
 */
import type { Vocabulary } from './tiktoken.js';

const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 0x01000193;
/** FNV-1a's last step, mixed so that the low bits (the slot) depend on every byte. */
function finish(h: number): number {
  const x = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return x ^ (x >>> 13);
}
/** Bits of a hash-table entry that hold the rank: up to 262,144 ranks (o200k_base has 199,998). */
const RANK_BITS = 18;
const RANK_MASK = (1 << RANK_BITS) - 1;
/** The entry's other bits (but the sign's): the key's hash there. */
const HASH_BITS = 0x7fffffff & ~RANK_MASK;
/** Keys per slot at most: o200k_base fills 2^18 slots to 0.76 (1 MB). */
const MAX_LOAD = 0.8;

/** What {@link RankTable.findAscii} gives for a string with a code unit of 0x80 or above. */
export const NOT_ASCII = -2;

/** A vocabulary and its look-up by bytes. */
export class RankTable {
  /** One past the highest rank. */
  readonly ranks: number;
  private readonly bytes: Uint8Array;
  private readonly offsets: Uint32Array;
  /**
   * Open addressing, linear probing, filled up to {@link MAX_LOAD}: a rank in the low
   * {@link RANK_BITS} bits and the key's hash in the others (a probe compares the bytes only when
   * those agree), or -1 for an empty slot.
   */
  private readonly table: Int32Array;
  private readonly mask: number;

  constructor({ bytes, offsets }: Vocabulary) {
    this.bytes = bytes;
    this.offsets = offsets;
    this.ranks = offsets.length - 1;
    if (this.ranks > RANK_MASK + 1) throw new Error(`tokenizer: more than ${RANK_MASK + 1} ranks`);
    let size = 1024;
    while (size * MAX_LOAD < this.ranks) size *= 2;
    this.table = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    for (let rank = 0; rank < this.ranks; rank++) {
      const s = offsets[rank] as number;
      const e = offsets[rank + 1] as number;
      if (s === e) continue;
      const h = this.hashBytes(bytes, s, e);
      let slot = h & this.mask;
      for (; this.table[slot] !== -1; slot = (slot + 1) & this.mask) {
        const other = (this.table[slot] as number) & RANK_MASK;
        if (this.sameBytes(other, bytes, s, e)) {
          throw new Error(`tokenizer: rank ${rank} repeats the token of rank ${other}`);
        }
      }
      this.table[slot] = (h & HASH_BITS) | rank;
    }
  }

  private hashBytes(b: Uint8Array, s: number, e: number): number {
    let h = FNV_OFFSET;
    for (let i = s; i < e; i++) h = Math.imul(h ^ (b[i] as number), FNV_PRIME);
    return finish(h);
  }

  private sameBytes(rank: number, b: Uint8Array, s: number, e: number): boolean {
    const from = this.offsets[rank] as number;
    if ((this.offsets[rank + 1] as number) - from !== e - s) return false;
    const bytes = this.bytes;
    for (let i = 0; i < e - s; i++) if (bytes[from + i] !== b[s + i]) return false;
    return true;
  }

  /** The rank of bytes [s, e) of `b`, else -1. */
  find(b: Uint8Array, s: number, e: number): number {
    const table = this.table;
    const mask = this.mask;
    const h = this.hashBytes(b, s, e);
    const tag = h & HASH_BITS;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot] as number;
      if (entry < 0) return -1;
      if ((entry & HASH_BITS) === tag && this.sameBytes(entry & RANK_MASK, b, s, e)) return entry & RANK_MASK;
    }
  }

  /**
   * The rank of `piece` read as bytes, one a character code, else -1; {@link NOT_ASCII} if a
   * code unit is 0x80 or above (its UTF-8 is other bytes: encode it and use {@link find}).
   */
  findAscii(piece: string): number {
    const n = piece.length;
    let h = FNV_OFFSET;
    for (let i = 0; i < n; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) return NOT_ASCII;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    h = finish(h);
    const table = this.table;
    const mask = this.mask;
    const offsets = this.offsets;
    const bytes = this.bytes;
    const tag = h & HASH_BITS;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const entry = table[slot] as number;
      if (entry < 0) return -1;
      if ((entry & HASH_BITS) !== tag) continue;
      const rank = entry & RANK_MASK;
      const from = offsets[rank] as number;
      if ((offsets[rank + 1] as number) - from !== n) continue;
      let k = 0;
      while (k < n && bytes[from + k] === piece.charCodeAt(k)) k++;
      if (k === n) return rank;
    }
  }

  /** A token's bytes (a view; do not write to it). @throws Error on an id that is no token. */
  tokenBytes(id: number): Uint8Array {
    const s = this.offsets[id];
    const e = this.offsets[id + 1];
    if (!Number.isInteger(id) || s === undefined || e === undefined || s === e) {
      throw new Error(`tokenizer: ${id} is not a token of o200k_base`);
    }
    return this.bytes.subarray(s, e);
  }
}
