/**
 * @module protocols/tokens
 * The client's own token count (o200k_base, core/tokenizer: gpt-tokenizer's), kept beside the
 * server's `usage` so a disagreement is visible.
 *
 * Contract: ordinary text counts exactly as gpt-tokenizer counts it,
 * special-token text counts as plain text, and the cost is linear in the
 * length of the text: a pre-tokenizer piece longer than {@link MAX_PIECE_UNITS}
 * is merged in slices (about a token more per cut), a long text is counted
 * between event-loop turns ({@link countTokensYielding}), a streamed one as it
 * arrives ({@link TokenCounter}). Why: the byte-pair merge is quadratic in a
 * piece's length (docs/design/2026-12-07-hostile-servers.md).
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
export const WINDOW_UNITS = 8192;
/**
 * A piece ending this close to the end of a window is matched again in the next one: the
 * regex looks at most a few units past the end of a match (a contraction, a lookahead).
 */
const WINDOW_MARGIN = 16;

/** Tokens in a piece of at most {@link MAX_PIECE_UNITS} code units. */
function countShortPiece(piece: string): number {
  return tokenizer().countPiece(piece);
}

/**
 * The pre-tokenizer, one for every count: a count that stops for a turn of the event loop
 * keeps its own position and puts it back when it goes on.
 */
const split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);

/** JavaScript's `\s`: what the pre-tokenizer's whitespace runs are made of. */
function isSpace(unit: number): boolean {
  return (
    (unit >= 0x09 && unit <= 0x0d) ||
    unit === 0x20 ||
    unit === 0xa0 ||
    unit === 0x1680 ||
    (unit >= 0x2000 && unit <= 0x200a) ||
    unit === 0x2028 ||
    unit === 0x2029 ||
    unit === 0x202f ||
    unit === 0x205f ||
    unit === 0x3000 ||
    unit === 0xfeff
  );
}

/**
 * Where a run of counting stopped: the text has ended and is counted (or the limit is
 * reached); all that can be counted before more text arrives is counted; the deadline passed.
 */
const Stop = { Done: 0, Wait: 1, Deadline: 2 } as const;
type Stop = (typeof Stop)[keyof typeof Stop];

/**
 * A count of a text that may arrive in parts and that can stop at a deadline and go on later.
 * The pre-tokenizer runs over windows of {@link WINDOW_UNITS} at the same places whether the
 * text came whole or in parts: a window is counted to its end only once the text reaches past
 * it (or has ended). Before that, a piece counts only when the text received goes on well past
 * it ({@link WINDOW_MARGIN}) and holds a non-space after it (`\s*[\r\n]+` can reach across a
 * whitespace run of any length): the same pieces, so the same count, as the whole text gives.
 */
class Counting {
  total = 0;
  /** Text received and not yet passed by the pre-tokenizer, from {@link Counting.heldStart} on. */
  private held = '';
  private heldStart = 0;
  private ended = false;
  /** The window: where it starts and, once the text reaches past it, where it ends (else -1). */
  private windowStart = 0;
  private windowEnd = -1;
  /** The window reaches the end of the text. */
  private last = false;
  /**
   * What the pre-tokenizer runs on: the held text from `viewStart`, up to the window's end
   * (or all of it while that is not known); `at` is where it goes on, in the view.
   */
  private view = '';
  private viewStart = 0;
  private at = 0;
  private stale = true;
  /** In a view that ends before the window does: where its text after its last non-space starts. */
  private solidEnd = 0;
  /** A long pre-tokenizer piece being counted slice by slice, and where the next slice starts. */
  private long = '';
  private longAt = 0;

  constructor(private readonly limit: number) {}

  /** More text. */
  append(text: string): void {
    if (text === '') return;
    this.held += text;
    if (this.windowEnd < 0) this.stale = true;
  }

  /** No more text. */
  end(): void {
    this.ended = true;
    if (this.windowEnd < 0) this.stale = true;
  }

  /** Counts on until the text received is counted, `limit` is reached or the clock passes `deadline`. */
  run(deadline: number): Stop {
    const limit = this.limit;
    let sinceCheck = 0;
    for (;;) {
      let units: number;
      if (this.longAt < this.long.length) units = this.nextSlice();
      else {
        const piece = this.nextPiece();
        if (typeof piece === 'number') return piece;
        units = piece.length;
        if (units <= MAX_PIECE_UNITS) this.total += countShortPiece(piece);
        else {
          this.long = piece;
          this.longAt = 0;
          units = this.nextSlice();
        }
      }
      if (this.total >= limit) return Stop.Done;
      sinceCheck += units;
      if (sinceCheck >= UNITS_PER_CHECK) {
        sinceCheck = 0;
        if (performance.now() > deadline) return Stop.Deadline;
      }
    }
  }

  /**
   * The next pre-tokenizer piece, or why there is none. A piece that ends near the end of the
   * window may go on past it: it is matched again in the next window (which starts where it
   * starts), unless it starts the window (a long run, cut there).
   */
  private nextPiece(): string | Stop {
    for (;;) {
      if (this.stale) this.refresh();
      split.lastIndex = this.at;
      const m = split.exec(this.view);
      const known = this.windowEnd >= 0;
      if (m === null) {
        if (!known) return this.ended ? Stop.Done : Stop.Wait;
        if (this.last) return Stop.Done;
        this.moveWindow(this.windowEnd);
        continue;
      }
      const start = this.viewStart + m.index;
      const end = start + m[0].length;
      if (known) {
        if (this.last || start === this.windowStart || end <= this.windowEnd - WINDOW_MARGIN) {
          this.at = split.lastIndex;
          return m[0];
        }
        this.moveWindow(start);
        continue;
      }
      // The window's end is not known yet: m is its piece only when the text goes on well past it.
      const received = this.heldStart + this.held.length;
      if (end < received - WINDOW_MARGIN && end - this.viewStart < this.solidEnd) {
        this.at = split.lastIndex;
        return m[0];
      }
      return Stop.Wait;
    }
  }

  private moveWindow(start: number): void {
    this.windowStart = start;
    this.windowEnd = -1;
    this.last = false;
    this.viewStart = start;
    this.at = 0;
    this.stale = true;
  }

  /** Drops the text passed, learns the window's end once the text reaches past it, and makes the view. */
  private refresh(): void {
    this.stale = false;
    const from = this.viewStart + this.at;
    if (from > this.heldStart) {
      this.held = this.held.slice(from - this.heldStart);
      this.heldStart = from;
    }
    const held = this.held;
    const received = from + held.length;
    if (this.windowEnd < 0) {
      let end = this.windowStart + WINDOW_UNITS;
      if (received > end) {
        // Never between the halves of a surrogate pair.
        const lastUnit = held.charCodeAt(end - 1 - from);
        if (lastUnit >= 0xd800 && lastUnit <= 0xdbff) end--;
        this.windowEnd = end;
      } else if (this.ended) {
        this.windowEnd = received;
        this.last = true;
      }
    }
    const viewEnd = this.windowEnd >= 0 ? this.windowEnd : received;
    this.view = viewEnd === received ? held : held.slice(0, viewEnd - from);
    this.viewStart = from;
    this.at = 0;
    if (this.windowEnd < 0) {
      let solid = held.length;
      while (solid > 0 && isSpace(held.charCodeAt(solid - 1))) solid--;
      this.solidEnd = solid;
    }
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

/** A whole text's count. */
function countingOf(text: string, limit: number): Counting {
  const counting = new Counting(limit);
  counting.append(text);
  counting.end();
  return counting;
}

/** Counts in slices of {@link SLICE_MS} with a turn of the event loop between them. */
function countInSlices(counting: Counting): number | Promise<number> {
  if (counting.run(performance.now() + SLICE_MS) === Stop.Done) return counting.total;
  return new Promise<number>((resolve, reject) => {
    const slice = (): void => {
      try {
        if (counting.run(performance.now() + SLICE_MS) === Stop.Done) resolve(counting.total);
        else setImmediate(slice);
      } catch (err) {
        reject(err);
      }
    };
    setImmediate(slice);
  });
}

/**
 * The count of a text that arrives in parts (a streamed answer), made as it arrives: the same
 * count as {@link countTokens} of the parts joined, with no long count left for the end.
 */
export class TokenCounter {
  readonly #counting = new Counting(Number.POSITIVE_INFINITY);
  #ended = false;

  /** Adds the next part of the text (counted by {@link TokenCounter.advance}). */
  append(text: string): void {
    if (this.#ended) throw new Error('TokenCounter: text appended after the end');
    this.#counting.append(text);
  }

  /** Counts what can be counted of the text so far until `deadline`; false when it stopped there. */
  advance(deadline: number): boolean {
    return this.#counting.run(deadline) !== Stop.Deadline;
  }

  /** The text has ended: its count, at once when the rest takes under {@link SLICE_MS}, else in slices. */
  finish(): number | Promise<number> {
    this.#ended = true;
    this.#counting.end();
    return countInSlices(this.#counting);
  }
}

/**
 * Tokens in `text` by the client's tokenizer, counted at once (linear time), or
 * `limit` as soon as the count reaches it.
 */
export function countTokens(text: string, limit = Number.POSITIVE_INFINITY): number {
  if (text === '') return 0;
  const counting = countingOf(text, limit);
  counting.run(Number.POSITIVE_INFINITY);
  return Math.min(counting.total, limit);
}

/**
 * Tokens in `text`: a number when counted within {@link SLICE_MS}, else a promise
 * of it, counted in slices of that length with a turn of the event loop between them.
 */
export function countTokensYielding(text: string): number | Promise<number> {
  if (text === '') return 0;
  return countInSlices(countingOf(text, Number.POSITIVE_INFINITY));
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
