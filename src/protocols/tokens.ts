/**
 * @module protocols/tokens
 * The client's own token count (gpt-tokenizer, o200k_base), kept beside the
 * server's `usage` so a disagreement is visible.
 *
 * Contract: the count of ordinary text is gpt-tokenizer's own (the same
 * pre-tokenizer split, the same byte-pair merge of each piece), special-token
 * text such as `<|endoftext|>` counts as plain text, and the cost is linear in
 * the length of the text whatever it holds. Why: the byte-pair merge is
 * quadratic in the length of one pre-tokenizer piece, so a run without split
 * points (an answer of one repeated letter, CJK without punctuation) took
 * seconds and blocked the worker. A piece longer than {@link MAX_PIECE_UNITS}
 * is merged in slices of that length, which may add about a token per cut.
 * A text too long to count within {@link SLICE_MS} is counted between turns of
 * the event loop ({@link countTokensYielding}).
 */
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { tokenizer } from '../core/index.js';

/** Longest run of UTF-16 code units handed to the byte-pair merge at once. */
export const MAX_PIECE_UNITS = 128;
/** Longest stretch of counting between two turns of the event loop (ms). */
export const SLICE_MS = 10;
/** Code units counted between two looks at the clock. */
const UNITS_PER_CHECK = 256;
/** Code units the pre-tokenizer's regex runs over at once. */
const WINDOW_UNITS = 8192;
/**
 * A piece ending this close to the end of a window is matched again in the next one: the
 * regex looks at most a few units past the end of a match (a contraction, a lookahead).
 */
const WINDOW_MARGIN = 16;

/**
 * The per-piece steps of gpt-tokenizer's `countNative`, on its default (o200k_base)
 * encoding, so a long piece can be sliced. The package exports only whole-text
 * counting; these members are pinned by the exact version in package.json and
 * checked here when the module loads.
 */
interface PieceEncoder {
  getBpeRankFromString(piece: string): number | undefined;
  bytePairEncode(piece: string): number[];
}
let pieceEncoder: PieceEncoder | undefined;

/** The default encoding's piece encoder, checked the first time a thread counts. */
function encoderOf(): PieceEncoder {
  if (pieceEncoder !== undefined) return pieceEncoder;
  const core = (tokenizer().default as unknown as { bytePairEncodingCoreProcessor?: PieceEncoder })
    .bytePairEncodingCoreProcessor;
  if (typeof core?.getBpeRankFromString !== 'function' || typeof core.bytePairEncode !== 'function') {
    throw new Error(
      'gpt-tokenizer: its byte-pair encoder is not the one this version of tokenstorm counts with',
    );
  }
  pieceEncoder = core;
  return core;
}

/** Tokens in a piece of at most {@link MAX_PIECE_UNITS} code units. */
function countShortPiece(piece: string): number {
  const encoder = pieceEncoder ?? encoderOf();
  return encoder.getBpeRankFromString(piece) !== undefined ? 1 : encoder.bytePairEncode(piece).length;
}

/**
 * The pre-tokenizer, one for every count: a count that stops for a turn of the event loop
 * keeps its own position and puts it back when it goes on.
 */
const split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);

/** A count of one text that can stop at a deadline and go on later. */
class Counting {
  total = 0;
  /** Where the pre-tokenizer goes on in the window. */
  private at = 0;
  /**
   * The part of the text the pre-tokenizer runs on next: one regex match over a long run
   * without split points is itself a long, uninterruptible step, so it never sees more.
   */
  private window = '';
  private windowStart = 0;
  /** The window reaches the end of the text. */
  private last = false;
  /** A long pre-tokenizer piece being counted slice by slice, and where the next slice starts. */
  private long = '';
  private longAt = 0;

  constructor(
    private readonly text: string,
    private readonly limit: number,
  ) {
    this.moveWindow(0);
  }

  /** Counts on until the text ends, `limit` is reached or the clock passes `deadline`; true when done. */
  run(deadline: number): boolean {
    split.lastIndex = this.at;
    try {
      return this.countUntil(deadline);
    } finally {
      this.at = split.lastIndex;
    }
  }

  private countUntil(deadline: number): boolean {
    const limit = this.limit;
    let sinceCheck = 0;
    for (;;) {
      let units: number;
      if (this.longAt < this.long.length) units = this.nextSlice();
      else {
        const piece = this.nextPiece();
        if (piece === undefined) return true;
        units = piece.length;
        if (units <= MAX_PIECE_UNITS) this.total += countShortPiece(piece);
        else {
          this.long = piece;
          this.longAt = 0;
          units = this.nextSlice();
        }
      }
      if (this.total >= limit) return true;
      sinceCheck += units;
      if (sinceCheck >= UNITS_PER_CHECK) {
        sinceCheck = 0;
        if (performance.now() > deadline) return false;
      }
    }
  }

  /**
   * The next pre-tokenizer piece, or undefined at the end of the text. A piece that ends
   * near the end of the window may go on past it: it is matched again in the next window
   * (which starts where it starts), unless it fills the window (a long run, cut there).
   */
  private nextPiece(): string | undefined {
    for (;;) {
      const m = split.exec(this.window);
      if (m !== null) {
        const end = m.index + m[0].length;
        if (this.last || m.index === 0 || end <= this.window.length - WINDOW_MARGIN) return m[0];
        this.moveWindow(this.windowStart + m.index);
      } else {
        if (this.last) return undefined;
        this.moveWindow(this.windowStart + this.window.length);
      }
    }
  }

  private moveWindow(start: number): void {
    const text = this.text;
    let end = Math.min(text.length, start + WINDOW_UNITS);
    const lastUnit = text.charCodeAt(end - 1);
    if (end < text.length && lastUnit >= 0xd800 && lastUnit <= 0xdbff) end--;
    this.window = text.slice(start, end);
    this.windowStart = start;
    this.last = end === text.length;
    split.lastIndex = 0;
  }

  /** Counts the next slice of the long piece; the code units it took. */
  private nextSlice(): number {
    const piece = this.long;
    const from = this.longAt;
    let to = Math.min(piece.length, from + MAX_PIECE_UNITS);
    // Never between the halves of a surrogate pair.
    const last = piece.charCodeAt(to - 1);
    if (to < piece.length && last >= 0xd800 && last <= 0xdbff) to--;
    this.total += countShortPiece(piece.slice(from, to));
    this.longAt = to;
    if (to === piece.length) this.long = '';
    return to - from;
  }
}

/**
 * Tokens in `text` by the client's tokenizer, counted at once (linear time), or
 * `limit` as soon as the count reaches it.
 */
export function countTokens(text: string, limit = Number.POSITIVE_INFINITY): number {
  if (text === '') return 0;
  const counting = new Counting(text, limit);
  counting.run(Number.POSITIVE_INFINITY);
  return Math.min(counting.total, limit);
}

/**
 * Tokens in `text`: a number when counted within {@link SLICE_MS}, else a promise
 * of it, counted in slices of that length with a turn of the event loop between them.
 */
export function countTokensYielding(text: string): number | Promise<number> {
  if (text === '') return 0;
  const counting = new Counting(text, Number.POSITIVE_INFINITY);
  if (counting.run(performance.now() + SLICE_MS)) return counting.total;
  return new Promise<number>((resolve, reject) => {
    const slice = (): void => {
      try {
        if (counting.run(performance.now() + SLICE_MS)) resolve(counting.total);
        else setImmediate(slice);
      } catch (err) {
        reject(err);
      }
    };
    setImmediate(slice);
  });
}

/** Long prompts counted or being counted: a templated step is compiled, and its prompt counted, per request. */
const promptCounts = new Map<string, number | Promise<number>>();
/** Prompts shorter than this are counted every time (as cheap as a look-up). */
const CACHED_PROMPT_UNITS = 4096;
/** Code units of prompt text the cache may hold (16 MB). */
const MAX_CACHED_UNITS = 8 * 1024 * 1024;
let cachedUnits = 0;

/**
 * Tokens in a prompt, as {@link countTokensYielding} gives them; a long prompt is counted
 * once and then remembered (the oldest forgotten first), its count shared while it runs.
 */
export function countPromptTokens(text: string): number | Promise<number> {
  if (text.length < CACHED_PROMPT_UNITS || text.length > MAX_CACHED_UNITS) return countTokensYielding(text);
  const known = promptCounts.get(text);
  if (known !== undefined) return known;
  const counted = countTokensYielding(text);
  cachedUnits += text.length;
  for (const key of promptCounts.keys()) {
    if (cachedUnits <= MAX_CACHED_UNITS) break;
    promptCounts.delete(key);
    cachedUnits -= key.length;
  }
  promptCounts.set(text, counted);
  if (typeof counted !== 'number') {
    counted.then(
      (n) => {
        if (promptCounts.get(text) === counted) promptCounts.set(text, n);
      },
      () => promptCounts.delete(text),
    );
  }
  return counted;
}
