/**
 * @module core/tiktoken
 * Reads a `.tiktoken` file (one base64 token and its rank a line, as
 * tiktoken and gpt-tokenizer ship them) into a {@link Vocabulary}: every
 * token's bytes end to end and an offset per rank, no object per token. A file
 * is read in chunks into arrays sized from its length, so that nothing larger
 * than a chunk is held beside them. Why: the tokenizer is built
 * in every thread that counts, before its first request (core/tokenizer.ts).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Every token's bytes by rank: rank r's are `bytes[offsets[r]]` to `bytes[offsets[r + 1]]`. */
export interface Vocabulary {
  readonly bytes: Uint8Array;
  /** One more than the ranks; a rank with no token has no bytes. */
  readonly offsets: Uint32Array;
}

/** Base64 digit values by byte (-1: not a digit). */
const BASE64 = (() => {
  const digits = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) digits[alphabet.charCodeAt(i)] = i;
  return digits;
})();
const SPACE = 0x20;
const NEWLINE = 0x0a;
const PAD = 0x3d;

/** Decodes base64 digits [from, to) of `data` (`at` in the file) into `out` at `outAt`; where the bytes end. */
function decodeBase64(
  data: Uint8Array,
  from: number,
  to: number,
  out: Uint8Array,
  outAt: number,
  at: number,
): number {
  let i = from;
  let o = outAt;
  for (; i + 4 <= to; i += 4) {
    const a = BASE64[data[i] as number] as number;
    const b = BASE64[data[i + 1] as number] as number;
    const c = BASE64[data[i + 2] as number] as number;
    const d = BASE64[data[i + 3] as number] as number;
    if ((a | b | c | d) < 0) throw new Error(`tiktoken data: bad token at byte ${at + i - from}`);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (i < to) {
    const a = BASE64[data[i] as number] as number;
    const b = i + 1 < to ? (BASE64[data[i + 1] as number] as number) : -1;
    const c = i + 2 < to ? (BASE64[data[i + 2] as number] as number) : 0;
    if ((a | b | c) < 0) throw new Error(`tiktoken data: bad token at byte ${at + i - from}`);
    const v = (a << 18) | (b << 12) | (c << 6);
    out[o++] = v >> 16;
    if (i + 2 < to) out[o++] = (v >> 8) & 0xff;
  }
  return o;
}

/**
 * Calls `line` for each non-empty line of a text that comes in chunks, with its bytes [s, e) in
 * `b` and where it starts in the text (a line across two chunks is copied whole first).
 */
function eachLine(
  chunks: Iterable<Uint8Array>,
  line: (b: Uint8Array, s: number, e: number, at: number) => void,
): void {
  let carry: Uint8Array = new Uint8Array(256);
  let carried = 0;
  let base = 0;
  for (const chunk of chunks) {
    let s = 0;
    for (let eol = chunk.indexOf(NEWLINE); eol >= 0; eol = chunk.indexOf(NEWLINE, s)) {
      if (carried > 0) {
        if (carried + eol > carry.length) carry = grown(carry, carried + eol);
        carry.set(chunk.subarray(0, eol), carried);
        line(carry, 0, carried + eol, base - carried);
        carried = 0;
      } else if (eol > s) line(chunk, s, eol, base + s);
      s = eol + 1;
    }
    if (s < chunk.length) {
      if (carried + chunk.length - s > carry.length) carry = grown(carry, carried + chunk.length - s);
      carry.set(chunk.subarray(s), carried);
      carried += chunk.length - s;
    }
    base += chunk.length;
  }
  if (carried > 0) line(carry, 0, carried, base - carried);
}

function grown(b: Uint8Array, size: number): Uint8Array {
  const bigger = new Uint8Array(Math.max(size, b.length * 2));
  bigger.set(b);
  return bigger;
}

/** Where a line's token ends (its first space); throws when it has no space. */
function spaceOf(b: Uint8Array, s: number, e: number, at: number): number {
  let space = s;
  while (space < e && b[space] !== SPACE) space++;
  if (space === e || space === s)
    throw new Error(`tiktoken data: no ${space === s ? 'token' : 'rank'} at byte ${at}`);
  return space;
}

/** Token bytes per byte of an o200k_base file (0.387), rounded up: the first guess of the size. */
const BYTES_PER_BYTE = 0.4;
/** Bytes per line of an o200k_base file (18.1), rounded down: the first guess of the lines. */
const BYTES_PER_LINE = 16;

/**
 * The tokens of `.tiktoken` data (`<base64 token> <rank>` a line, ranks in any order), read
 * once from `chunks` into arrays sized from `size` (the data's, in bytes) and grown if that
 * guess is short: nothing larger than a chunk is held beside them.
 * @throws Error on a line that is not base64, a space and a rank, or a rank given twice.
 */
function parseTiktoken(chunks: Iterable<Uint8Array>, size: number): Vocabulary {
  let bytes: Uint8Array = new Uint8Array(Math.ceil(size * BYTES_PER_BYTE) + 64);
  // Where each line's bytes end, in file order: the offsets by rank when the ranks are in order.
  let ends = new Uint32Array(Math.ceil(size / BYTES_PER_LINE) + 2);
  let lineRanks: number[] | undefined;
  let count = 0;
  let written = 0;
  let maxRank = -1;
  eachLine(chunks, (b, s, e, at) => {
    const space = spaceOf(b, s, e, at);
    let end = space;
    while (end > s && b[end - 1] === PAD) end--;
    const start = written;
    if (written + end - s > bytes.length) bytes = grown(bytes, written + end - s);
    written = decodeBase64(b, s, end, bytes, written, at);
    if (written === start) throw new Error(`tiktoken data: no token at byte ${at}`);
    let rank = 0;
    for (let j = space + 1; j < e; j++) {
      const digit = (b[j] as number) - 0x30;
      if (digit < 0 || digit > 9 || rank > 0x3fffffff) {
        throw new Error(`tiktoken data: bad rank at byte ${at + j - s}`);
      }
      rank = rank * 10 + digit;
    }
    if (rank !== count && lineRanks === undefined) lineRanks = Array.from({ length: count }, (_, k) => k);
    lineRanks?.push(rank);
    if (count + 2 > ends.length) {
      const more = new Uint32Array(ends.length * 2);
      more.set(ends);
      ends = more;
    }
    ends[++count] = written;
    if (rank > maxRank) maxRank = rank;
  });
  if (lineRanks === undefined)
    return { bytes: bytes.subarray(0, written), offsets: ends.subarray(0, count + 1) };
  // Out of order: lay the tokens out by rank.
  const lengths = new Int32Array(maxRank + 1).fill(-1);
  for (let line = 0; line < count; line++) {
    const rank = lineRanks[line] as number;
    if ((lengths[rank] as number) >= 0) throw new Error(`tiktoken data: rank ${rank} given twice`);
    lengths[rank] = (ends[line + 1] as number) - (ends[line] as number);
  }
  const offsets = new Uint32Array(maxRank + 2);
  for (let rank = 0; rank <= maxRank; rank++) {
    offsets[rank + 1] = (offsets[rank] as number) + Math.max(0, lengths[rank] as number);
  }
  const byRank = new Uint8Array(written);
  for (let line = 0; line < count; line++) {
    byRank.set(
      bytes.subarray(ends[line] as number, ends[line + 1] as number),
      offsets[lineRanks[line] as number] as number,
    );
  }
  return { bytes: byRank, offsets };
}

/** The tokens of `.tiktoken` data held whole. */
export function vocabularyOfTiktoken(data: Uint8Array): Vocabulary {
  return parseTiktoken([data], data.length);
}

/** The tokens of a `.tiktoken` file, read in chunks of 64 KB. */
export function vocabularyOfTiktokenFile(path: string): Vocabulary {
  const chunk = new Uint8Array(64 * 1024);
  const fd = openSync(path, 'r');
  try {
    const chunks = function* (): Generator<Uint8Array> {
      for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) yield chunk.subarray(0, n);
    };
    return parseTiktoken(chunks(), fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}
