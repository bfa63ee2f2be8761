/**
 * @module protocols/chunk-shape
 * Reads the output text of a streamed chunk without `JSON.parse` when the
 * chunk has the shape of one parsed before: the same text before and after
 * its output string (numbers outside strings may differ), learned from a
 * parsed chunk and checked once with a probe. Anything else (an escape, a
 * finish reason, usage, another key) goes through `JSON.parse`.
 * Why: `JSON.parse` per chunk was a fifth of a worker's time at 500 streams;
 * figures in docs/design/2026-12-07-hot-path-headers.md.
 */

/** Stands in for the output when a shape is checked: no character a JSON string would escape. */
const PROBE = 'tokenstorm-probe-7f3a';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= 0x39;
}

/** A character that starts a JSON number. */
function startsNumber(c: number): boolean {
  return isDigit(c) || c === MINUS;
}

/**
 * The end of the JSON number (RFC 8259 §6) at `k` in `text`, or -1 if none starts there. Only
 * the longest valid prefix is taken: what follows must then match the template's next character.
 */
function numberEnd(text: string, from: number): number {
  let k = from;
  if (text.charCodeAt(k) === MINUS) k++;
  const first = text.charCodeAt(k);
  if (first === ZERO) k++;
  else if (isDigit(first)) while (isDigit(text.charCodeAt(k))) k++;
  else return -1;
  if (text.charCodeAt(k) === DOT) {
    if (!isDigit(text.charCodeAt(k + 1))) return -1;
    k += 2;
    while (isDigit(text.charCodeAt(k))) k++;
  }
  const e = text.charCodeAt(k);
  if (e === 0x65 || e === 0x45) {
    k++;
    const sign = text.charCodeAt(k);
    if (sign === PLUS || sign === MINUS) k++;
    if (!isDigit(text.charCodeAt(k))) return -1;
    while (isDigit(text.charCodeAt(k))) k++;
  }
  return k;
}

/**
 * A template (beginning outside a string) split into its literal runs and, as `null`, the
 * JSON numbers outside its strings, which a matching chunk may change.
 */
function partsOf(template: string): (string | null)[] {
  const parts: (string | null)[] = [];
  let inString = false;
  let from = 0;
  let k = 0;
  while (k < template.length) {
    const c = template.charCodeAt(k);
    if (!inString && startsNumber(c)) {
      if (k > from) parts.push(template.slice(from, k));
      parts.push(null);
      k = numberEnd(template, k);
      from = k;
      continue;
    }
    if (c === QUOTE) inString = !inString;
    else if (c === BACKSLASH && inString) k++;
    k++;
  }
  if (k > from) parts.push(template.slice(from));
  return parts;
}

/**
 * Matches `data` from `at` against a template's parts; returns where the match ended in
 * `data`, or -1. Literal runs are compared with `===` on a slice, which V8 does as a memory
 * compare (`startsWith` and a `charCodeAt` loop took ~9 ns a character on this machine).
 */
function matchParts(parts: readonly (string | null)[], data: string, at: number): number {
  let i = at;
  for (const part of parts) {
    if (part === null) {
      i = numberEnd(data, i);
      if (i < 0) return -1;
    } else {
      if (data.slice(i, i + part.length) !== part) return -1;
      i += part.length;
    }
  }
  return i;
}

/** Units from which a string is scanned for control characters by a regular expression rather than a loop. */
const NATIVE_SCAN_UNITS = 256;
/** A JSON string's forbidden raw characters (RFC 8259 §7: U+0000 to U+001F). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters looked for.
const CONTROL = /[\u0000-\u001f]/;

/**
 * Whether `data` has a control character from `from` to `to`. A `charCodeAt` loop takes ~3-4 ns
 * a character (4 ms for a 1 MiB SSE event); the regular expression ~0.5.
 */
function hasControl(data: string, from: number, to: number): boolean {
  if (to - from >= NATIVE_SCAN_UNITS) return CONTROL.test(data.slice(from, to));
  for (let k = from; k < to; k++) if (data.charCodeAt(k) < 0x20) return true;
  return false;
}

/** The learned shape of a stream's content chunks. */
export class ChunkShape {
  private readonly headParts: (string | null)[];
  private readonly tailParts: (string | null)[];

  private constructor(
    /** The chunk's text up to and including the opening quote of its output string. */
    private readonly head: string,
    /** The chunk's text after the closing quote of its output string. */
    private readonly tail: string,
  ) {
    this.headParts = partsOf(head);
    this.tailParts = partsOf(tail);
  }

  /**
   * The shape of `data`, a chunk whose only output is the string `output` under `key`
   * (`content` or a reasoning field in a chat delta, `text` in a completion choice), or undefined when it cannot be
   * located or checked. `check` parses a chunk and returns its output when it is a plain
   * content chunk (no finish reason, usage or error), undefined otherwise.
   */
  static learn(
    data: string,
    key: string,
    output: string,
    check: (data: string) => string | undefined,
  ): ChunkShape | undefined {
    // An output that needs escapes is not a template's hole: learn from a plainer chunk.
    const encoded = JSON.stringify(output);
    if (encoded.length !== output.length + 2) return undefined;
    const needle = `"${key}":${encoded}`;
    const at = data.indexOf(needle);
    if (at < 0 || data.indexOf(needle, at + 1) >= 0) return undefined;
    const holeStart = at + key.length + 4; // past `"key":"`
    const head = data.slice(0, holeStart);
    const tail = data.slice(holeStart + output.length + 1);
    // The hole must be where the reader finds the output, and the rest must not change it.
    if (check(`${head}${PROBE}"${tail}`) !== PROBE) return undefined;
    return new ChunkShape(head, tail);
  }

  /** The output of `data` if it has this shape, else undefined (parse it instead). */
  outputOf(data: string): string | undefined {
    const start = this.outputStart(data);
    return start < 0 ? undefined : data.slice(start, this.outputEnd);
  }

  /**
   * Where the output of `data` starts if it has this shape, else -1; it ends at
   * {@link ChunkShape.outputEnd}. The reader copies it from there, making no string of it.
   */
  outputStart(data: string): number {
    const { head, tail } = this;
    // Most servers repeat the head exactly; the head ends inside the output string.
    const start = data.slice(0, head.length) === head ? head.length : matchParts(this.headParts, data, 0);
    if (start < 0) return -1;
    // The output ends at the next quote unless an escape comes first (native scans: a 1 MiB
    // output is no longer walked char by char); the tail is checked before the control characters.
    const end = data.indexOf('"', start);
    if (end < 0) return -1;
    const slash = data.indexOf('\\', start);
    if (slash >= 0 && slash < end) return -1;
    if (data.slice(end + 1) !== tail && matchParts(this.tailParts, data, end + 1) !== data.length) {
      return -1;
    }
    // A control character: JSON.parse rejects it.
    if (hasControl(data, start, end)) return -1;
    this.outputEnd = end;
    return start;
  }

  /** The end of the output the last {@link ChunkShape.outputStart} found. */
  outputEnd = 0;
}
