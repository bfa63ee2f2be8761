/**
 * @module core/tokenizer-merge
 * The byte-pair merge of one pre-tokenizer piece over a {@link RankTable}: the piece's UTF-8
 * bytes are merged pair by pair, the pair of lowest rank first, leftmost on ties, as tiktoken
 * and gpt-tokenizer do; a short piece by scanning every pair each round, a long one with a heap
 * of (rank, start), the same merges in the same order.
 *
 * Contract: {@link PieceMerge.merge} gives gpt-tokenizer's ranks for a piece that is not a token
 * by itself, down to where the package departs from tiktoken: a pair that is valid UTF-8 and
 * starts with a byte-order mark is looked up without it (its decoder drops the mark), and never
 * matches when nothing or another mark follows. One instance per tokenizer: its buffers are
 * reused from piece to piece (not reentrant).
 *
 * Why a heap beyond {@link SCAN_BYTES}: scanning costs n² in a piece's length, the heap n log n.
 */
import type { RankTable } from './tokenizer-table.js';

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

/** The merge of a piece, with the buffers it reuses. */
export class PieceMerge {
  private readonly table: RankTable;
  private readonly byteRank = new Int32Array(256);
  private readonly utf8 = new TextEncoder();
  /** The piece being merged, as UTF-8. */
  private scratch = new Uint8Array(1024);
  /** The merge's parts, by the byte they start at: the next part's start, the previous', ranks. */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  private pairRank = new Int32Array(0);
  private partRank = new Int32Array(0);
  private heap = new Float64Array(0);

  /** @throws Error when a byte is no token of `table`. */
  constructor(table: RankTable) {
    this.table = table;
    const one = new Uint8Array(1);
    for (let b = 0; b < 256; b++) {
      one[0] = b;
      this.byteRank[b] = table.find(one, 0, 1);
      if (this.byteRank[b] === -1) throw new Error(`tokenizer: no token for the byte ${b}`);
    }
  }

  /** The rank of `piece`'s UTF-8 (a lone surrogate as U+FFFD), else -1. */
  rankOfUtf8(piece: string): number {
    return this.table.find(this.scratch, 0, this.load(piece));
  }

  /** Byte-pair merges `piece`'s UTF-8; pushes the ranks to `out`; their number. */
  merge(piece: string, out: number[] | undefined): number {
    const n = this.load(piece);
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
    const rank = this.table.find(b, from, e);
    return rank < 0 ? NO_RANK : rank;
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
