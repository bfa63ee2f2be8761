/**
 * @module protocols/stream-buffers
 * What a streamed answer collects chunk by chunk, its output text and the
 * gaps between its chunks, kept in growable typed arrays that a stream
 * reader hands from each stream to the next (a part of 64K units or more is
 * kept as its string). Code units are copied as they are, lone surrogates
 * included, so the text equals the chunks' strings joined. Why typed
 * arrays: JS arrays of them were most of what each young-generation GC
 * copied (docs/design/2026-12-07-worker-headers.md).
 */

/** Code units the first append makes room for. */
const FIRST_UNITS = 128;
/** A reader keeps at most this many units of room for the next stream (4 KiB); a longer answer's goes. */
const KEPT_UNITS = 2048;
/**
 * Units from which a part is copied, or made a string, by Buffer's native UTF-16 code (code units
 * as they are, lone surrogates included) instead of unit by unit: a 1 MB SSE event took ~15 ms of
 * CPU that way, most of its read.
 */
const NATIVE_UNITS = 256;
/** Gaps a reader keeps room for between streams. */
const KEPT_GAPS = 1024;

/**
 * Units from which a part is kept as the string it came in, not copied: a 1 MiB SSE event's copy
 * took a 4 MiB typed array (zeroed, outside the JS heap, its growth a trigger of GCs) and
 * 0.2-1 ms, on the read that follows its TTFT stamp. A string this long lives outside the young
 * generation's copying (V8's large-object space), so it costs a scavenge nothing.
 */
const KEPT_AS_STRING_UNITS = 65_536;

/** A stream's output text. */
export class OutputText {
  /** The text's start, when a long part came: the parts that are strings, in order. */
  #pieces: string[] = [];
  /** Code units in {@link OutputText.#pieces}. */
  #piecesLength = 0;
  /** The text after the pieces. */
  #units = new Uint16Array(0);
  /** The same memory as {@link OutputText.#units}, for Buffer's UTF-16 copies. */
  #bytes: Buffer = Buffer.alloc(0);
  /** Code units in {@link OutputText.#units}. */
  #used = 0;

  /** Code units appended since the last reset. */
  get length(): number {
    return this.#piecesLength + this.#used;
  }

  /** Appends `text.slice(from, to)` (a short part without making that string). */
  append(text: string, from = 0, to = text.length): void {
    const count = to - from;
    if (count >= KEPT_AS_STRING_UNITS) {
      if (this.#used > 0) this.#pieces.push(this.#unitString(0, this.#used));
      this.#piecesLength += this.#used;
      this.#used = 0;
      this.#pieces.push(from === 0 && to === text.length ? text : text.slice(from, to));
      this.#piecesLength += count;
      return;
    }
    const end = this.#used + count;
    if (end > this.#units.length) this.#grow(end);
    if (count >= NATIVE_UNITS) {
      const part = from === 0 && to === text.length ? text : text.slice(from, to);
      this.#bytes.write(part, this.#used * 2, 'utf16le');
    } else {
      const units = this.#units;
      let at = this.#used;
      for (let i = from; i < to; i++) units[at++] = text.charCodeAt(i);
    }
    this.#used = end;
  }

  /** The text appended since the last reset. */
  toString(): string {
    const rest = this.#unitString(0, this.#used);
    return this.#pieces.length === 0 ? rest : this.#pieces.join('') + rest;
  }

  /** The code units from `from` to `to` of the text, as a string. */
  slice(from: number, to: number): string {
    const start = this.#piecesLength;
    if (from < start) return this.toString().slice(from, to);
    return this.#unitString(from - start, Math.min(to, this.length) - start);
  }

  /** Empties the text for the next stream, keeping its room unless that grew large. */
  reset(): void {
    this.#pieces = [];
    this.#piecesLength = 0;
    this.#used = 0;
    if (this.#units.length > KEPT_UNITS) this.#setUnits(new Uint16Array(0));
  }

  /** Units `from` to `to` of {@link OutputText.#units} as a string. */
  #unitString(from: number, to: number): string {
    const end = Math.max(from, Math.min(to, this.#used));
    if (end - from >= NATIVE_UNITS) return this.#bytes.toString('utf16le', from * 2, end * 2);
    return String.fromCharCode.apply(null, this.#units.subarray(from, end) as unknown as number[]);
  }

  #grow(needed: number): void {
    let size = Math.max(FIRST_UNITS, this.#units.length * 2);
    while (size < needed) size *= 2;
    const units = new Uint16Array(size);
    units.set(this.#units.subarray(0, this.#used));
    this.#setUnits(units);
  }

  #setUnits(units: Uint16Array<ArrayBuffer>): void {
    this.#units = units;
    this.#bytes = Buffer.from(units.buffer, units.byteOffset, units.byteLength);
  }
}

/** The gaps between a stream's output chunks (ms), in order. */
export class GapList {
  #gaps = new Float64Array(0);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  push(ms: number): void {
    if (this.#count === this.#gaps.length) {
      const gaps = new Float64Array(Math.max(64, this.#gaps.length * 2));
      gaps.set(this.#gaps);
      this.#gaps = gaps;
    }
    this.#gaps[this.#count++] = ms;
  }

  /** The first `max` gaps (default all) as a plain array (a copy). */
  toArray(max = this.#count): number[] {
    const count = Math.min(max, this.#count);
    const out = new Array<number>(count);
    for (let i = 0; i < count; i++) out[i] = this.#gaps[i] as number;
    return out;
  }

  /** Empties the list for the next stream, keeping its room unless that grew large. */
  reset(): void {
    this.#count = 0;
    if (this.#gaps.length > KEPT_GAPS) this.#gaps = new Float64Array(0);
  }
}
