/**
 * @module core/tokenizer
 * The o200k_base byte-pair encoder, ours, loaded on first use and shared by
 * every caller in a thread: the client's count, the mock's prompt counts and
 * answers. Why lazy: the coordinator, a `validate` or a `report` never needs
 * it.
 *
 * Contract: {@link Tokenizer.encode} gives gpt-tokenizer's ids exactly (its
 * `encode(text, { disallowedSpecial: new Set() })`: special-token text is
 * plain text), and {@link Tokenizer.decode} its string for any ids of whole
 * characters (the package's decoder, one per thread and never flushed, also
 * carries a cut character over to its next call and drops a leading
 * byte-order mark once: here {@link Tokenizer.tokenTexts} does the former
 * within one call); tokenizer.test.ts holds it to the package on this repository's
 * sources and on seeded random text. gpt-tokenizer stays the source of the
 * ranks (its `data/o200k_base.tiktoken`), of the pre-tokenizer's regex and of
 * the truth in tests.
 *
 * Why ours: the package holds its tables as a 200,000-entry `Map` of strings
 * and an array of strings and arrays, ~50 MB of RSS and ~0.2-0.3 s to build
 * in each thread that counts (the mock's and the load worker's, before their
 * first request). Here they are three typed arrays, ~3 MB outside the JS heap:
 * every token's bytes end to end, an offset per rank, and an open-addressing
 * hash table from bytes to rank (core/tiktoken.ts reads the data file into the
 * first two). A piece of ASCII is hashed and compared straight from its
 * character codes; other text is UTF-8-encoded into a scratch buffer first.
 *
 * Same algorithm as tiktoken and gpt-tokenizer: a pre-tokenizer piece that is
 * a token is its rank, otherwise its bytes are merged pair by pair, the pair
 * of lowest rank first, leftmost on ties (a heap for long pieces, so a piece
 * costs n log n, not n²). Where gpt-tokenizer departs from tiktoken, this
 * follows gpt-tokenizer: a piece with a lone surrogate or a leading byte-order
 * mark is never a whole token, and during the merge a pair that is valid UTF-8
 * and starts with a byte-order mark is looked up without it (its decoder drops
 * the mark).
 */
import { createRequire } from 'node:module';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { type Vocabulary, vocabularyOfTiktokenFile } from './tiktoken.js';

/** The o200k_base encoder: ids, text, and the per-piece steps the client's count runs. */
export interface Tokenizer {
  /** The ids of `text` (special-token text is encoded as plain text). */
  encode(text: string): number[];
  /** How many ids {@link Tokenizer.encode} gives for `text`, without making them. */
  count(text: string): number;
  /**
   * The text of `ids` (invalid UTF-8, as from ids cut inside a character, becomes U+FFFD).
   * @throws Error on an id that is no token.
   */
  decode(ids: readonly number[]): string;
  /**
   * Each id's text as a stream of them gives it: a token that ends inside a character gives
   * what it completes, and the rest of that character comes with the next one.
   */
  tokenTexts(ids: readonly number[]): string[];
  /** How many tokens one pre-tokenizer piece merges into (`piece` is not split first). */
  countPiece(piece: string): number;
  /** The rank of a pre-tokenizer piece that is a token by itself, else -1. */
  pieceRank(piece: string): number;
  /** A token's bytes (a view; do not write to it). @throws Error on an id that is no token. */
  tokenBytes(id: number): Uint8Array;
  /** The rank of a token by its bytes, else -1. */
  rankOfBytes(bytes: Uint8Array): number;
  /** One past the highest rank. */
  readonly ranks: number;
}

const require = createRequire(import.meta.url);
let loaded: Tokenizer | undefined;

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
/** No pair to merge (above every rank). */
const NO_RANK = 0x7fffffff;
/** Pieces of more bytes than this are merged with a heap rather than by scanning every pair. */
const SCAN_BYTES = 48;
const TWO_32 = 4294967296;

/** Whether bytes [s, e) are valid UTF-8 (as gpt-tokenizer decides it before a look-up by text). */
function isValidUtf8(b: Uint8Array, s: number, e: number): boolean {
  let i = s;
  while (i < e) {
    const b1 = b[i] as number;
    let size: number;
    let cp: number;
    if (b1 < 0x80) {
      i++;
      continue;
    }
    if (b1 >= 0xc2 && b1 <= 0xdf) {
      size = 2;
      cp = b1 & 0x1f;
    } else if ((b1 & 0xf0) === 0xe0) {
      size = 3;
      cp = b1 & 0x0f;
    } else if (b1 >= 0xf0 && b1 <= 0xf4) {
      size = 4;
      cp = b1 & 0x07;
    } else return false;
    if (i + size > e) return false;
    for (let j = 1; j < size; j++) {
      const c = b[i + j] as number;
      if ((c & 0xc0) !== 0x80) return false;
      cp = (cp << 6) | (c & 0x3f);
    }
    if ((size === 3 && cp < 0x800) || (size === 4 && cp < 0x10000)) return false;
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return false;
    i += size;
  }
  return true;
}

function startsWithBom(b: Uint8Array, s: number, e: number): boolean {
  return e - s >= 3 && b[s] === 0xef && b[s + 1] === 0xbb && b[s + 2] === 0xbf;
}

class BytePairEncoder implements Tokenizer {
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
  private readonly byteRank = new Int32Array(256);
  private readonly split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
  private readonly utf8 = new TextEncoder();
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true });
  /** The piece being merged, as UTF-8. */
  private scratch = new Uint8Array(1024);
  /** The merge's parts, by the byte they start at: the next part's start, the previous', ranks. */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private pairRank = new Int32Array(0);
  private partRank = new Int32Array(0);
  private heap = new Float64Array(0);

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
    const one = new Uint8Array(1);
    for (let b = 0; b < 256; b++) {
      one[0] = b;
      this.byteRank[b] = this.rankOfBytes(one);
      if (this.byteRank[b] === -1) throw new Error(`tokenizer: no token for the byte ${b}`);
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
  private find(b: Uint8Array, s: number, e: number): number {
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

  rankOfBytes(bytes: Uint8Array): number {
    return this.find(bytes, 0, bytes.length);
  }

  tokenBytes(id: number): Uint8Array {
    const s = this.offsets[id];
    const e = this.offsets[id + 1];
    if (!Number.isInteger(id) || s === undefined || e === undefined || s === e) {
      throw new Error(`tokenizer: ${id} is not a token of o200k_base`);
    }
    return this.bytes.subarray(s, e);
  }

  pieceRank(piece: string): number {
    const n = piece.length;
    let h = FNV_OFFSET;
    let i = 0;
    for (; i < n; i++) {
      const c = piece.charCodeAt(i);
      if (c >= 0x80) break;
      h = Math.imul(h ^ c, FNV_PRIME);
    }
    if (i === n) return this.findAscii(piece, finish(h));
    // gpt-tokenizer looks a piece up by its text: one with a lone surrogate is never a token, nor
    // one that starts with a byte-order mark (the package holds those tokens as bytes).
    if (piece.charCodeAt(0) === 0xfeff || hasLoneSurrogate(piece, i)) return -1;
    const length = this.load(piece);
    return this.find(this.scratch, 0, length);
  }

  /** The rank of an ASCII piece whose hash is `h`, from its character codes. */
  private findAscii(piece: string, h: number): number {
    const table = this.table;
    const mask = this.mask;
    const offsets = this.offsets;
    const bytes = this.bytes;
    const n = piece.length;
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

  countPiece(piece: string): number {
    if (piece === '') return 0;
    return this.pieceRank(piece) >= 0 ? 1 : this.merge(this.load(piece), undefined);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    const split = this.split;
    split.lastIndex = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) {
      const piece = m[0];
      const rank = this.pieceRank(piece);
      if (rank >= 0) ids.push(rank);
      else this.merge(this.load(piece), ids);
    }
    return ids;
  }

  count(text: string): number {
    let total = 0;
    const split = this.split;
    split.lastIndex = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) total += this.countPiece(m[0]);
    return total;
  }

  decode(ids: readonly number[]): string {
    let total = 0;
    for (const id of ids) total += this.tokenBytes(id).length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      const token = this.tokenBytes(id);
      out.set(token, at);
      at += token.length;
    }
    return this.text.decode(out);
  }

  tokenTexts(ids: readonly number[]): string[] {
    const stream = new TextDecoder('utf-8', { ignoreBOM: true });
    const texts = ids.map((id) => stream.decode(this.tokenBytes(id), { stream: true }));
    const rest = stream.decode();
    if (rest !== '' && texts.length > 0) texts[texts.length - 1] += rest;
    return texts;
  }

  /** Puts a piece's UTF-8 into the scratch buffer (a lone surrogate as U+FFFD); its length. */
  private load(piece: string): number {
    if (this.scratch.length < piece.length * 3) this.scratch = new Uint8Array(piece.length * 3 + 1024);
    return this.utf8.encodeInto(piece, this.scratch).written;
  }

  /**
   * The rank a merge of bytes [s, e) of the scratch buffer gives, or {@link NO_RANK}: as
   * gpt-tokenizer looks a pair up, valid UTF-8 by its text (so without a leading byte-order mark,
   * which its decoder drops, and never a text that starts with one), other bytes as bytes.
   */
  private pairOf(s: number, e: number): number {
    const b = this.scratch;
    let from = s;
    if (startsWithBom(b, s, e) && isValidUtf8(b, s, e)) {
      from += 3;
      if (from === e || startsWithBom(b, from, e)) return NO_RANK;
    }
    const rank = this.find(b, from, e);
    return rank < 0 ? NO_RANK : rank;
  }

  /** Byte-pair merges the first `n` bytes of the scratch buffer; pushes the ranks to `out`; their number. */
  private merge(n: number, out: number[] | undefined): number {
    if (this.next.length < n + 1) {
      const size = Math.max(n + 1, 256);
      this.next = new Int32Array(size);
      this.prev = new Int32Array(size);
      this.pairRank = new Int32Array(size);
      this.partRank = new Int32Array(size);
    }
    const { next, pairRank, partRank, scratch } = this;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1;
      partRank[i] = this.byteRank[scratch[i] as number] as number;
      pairRank[i] = i + 2 <= n ? this.pairOf(i, i + 2) : NO_RANK;
    }
    if (n > SCAN_BYTES) this.mergeByHeap(n);
    else this.mergeByScan(n);
    let count = 0;
    for (let i = 0; i < n; i = next[i] as number) {
      out?.push(partRank[i] as number);
      count++;
    }
    return count;
  }

  /** The merge as gpt-tokenizer runs it: every round scans all pairs for the lowest rank. */
  private mergeByScan(n: number): void {
    const { next, pairRank, partRank } = this;
    for (;;) {
      let best = NO_RANK;
      let at = -1;
      let before = -1;
      for (let i = 0, p = -1; i < n; p = i, i = next[i] as number) {
        if ((pairRank[i] as number) < best) {
          best = pairRank[i] as number;
          at = i;
          before = p;
        }
      }
      if (at < 0) return;
      const after = next[next[at] as number] as number;
      next[at] = after;
      partRank[at] = best;
      pairRank[at] = after < n ? this.pairOf(at, next[after] as number) : NO_RANK;
      if (before >= 0) pairRank[before] = this.pairOf(before, after);
    }
  }

  /**
   * The same merges in the same order, the lowest rank then the leftmost taken from a heap of
   * (rank, start) with stale entries skipped: n log n for a long piece.
   */
  private mergeByHeap(n: number): void {
    const { next, prev, pairRank, partRank } = this;
    if (this.heap.length < 3 * n) this.heap = new Float64Array(3 * n);
    const heap = this.heap;
    let size = 0;
    const push = (key: number): void => {
      let i = size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if ((heap[parent] as number) <= key) break;
        heap[i] = heap[parent] as number;
        i = parent;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0] as number;
      const last = heap[--size] as number;
      let i = 0;
      for (;;) {
        let child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size && (heap[child + 1] as number) < (heap[child] as number)) child++;
        if ((heap[child] as number) >= last) break;
        heap[i] = heap[child] as number;
        i = child;
      }
      heap[i] = last;
      return top;
    };
    for (let i = 0; i < n; i++) {
      prev[i] = i - 1;
      const rank = pairRank[i] as number;
      if (rank !== NO_RANK) push(rank * TWO_32 + i);
    }
    while (size > 0) {
      const key = pop();
      const rank = Math.floor(key / TWO_32);
      const at = key - rank * TWO_32;
      if ((next[at] as number) < 0 || pairRank[at] !== rank) continue;
      const gone = next[at] as number;
      const after = next[gone] as number;
      next[gone] = -1;
      next[at] = after;
      if (after < n) prev[after] = at;
      partRank[at] = rank;
      const own = after < n ? this.pairOf(at, next[after] as number) : NO_RANK;
      pairRank[at] = own;
      if (own !== NO_RANK) push(own * TWO_32 + at);
      const before = prev[at] as number;
      if (before >= 0) {
        const left = this.pairOf(before, after);
        pairRank[before] = left;
        if (left !== NO_RANK) push(left * TWO_32 + before);
      }
    }
  }
}

/** Whether `text` holds half of a surrogate pair alone, looking from `from` on. */
function hasLoneSurrogate(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const low = text.charCodeAt(i + 1);
    if (!(low >= 0xdc00 && low <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/** An encoder over a vocabulary (tests build one from a small file). */
export function createTokenizer(vocabulary: Vocabulary): Tokenizer {
  return new BytePairEncoder(vocabulary);
}

/** The o200k_base tokenizer; the first call in a thread builds its tables. */
export function tokenizer(): Tokenizer {
  if (loaded === undefined) {
    loaded = createTokenizer(
      vocabularyOfTiktokenFile(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken')),
    );
  }
  return loaded;
}

/** Whether this thread has loaded the tokenizer (start-up tests check that it has not). */
export function tokenizerLoaded(): boolean {
  return loaded !== undefined;
}
