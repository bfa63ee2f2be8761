/**
 * @module store/record-batch
 * Records on their way to records.jsonl, as numbers instead of text. A worker
 * puts each kept record in a batch (a slot per field in a Float64Array, its
 * strings in a table) and transfers the batch to the coordinator, which
 * writes the JSONL lines as bytes ({@link LineEncoder}). Why: making the text
 * on the worker cost it far more per request (docs/design/2026-12-07-worker-headers.md).
 *
 * A line holds the fields that are present, in the order of {@link FIELDS};
 * a number field holding NaN is left out (`JSON.stringify` wrote `null`).
 * Every string of a line (step names with URLs, error messages) is redacted
 * (store/redact) as the batch's string table becomes bytes.
 */
import type { RequestRecord } from '../core/index.js';
import { redactText } from './redact.js';

/** `json`: a rare structured field (redirects, checks, an agent task), carried as its JSON text and written as it is. */
type FieldKind = 'number' | 'string' | 'numbers' | 'json' | 'boolean';
type KindOf<T> = T extends boolean
  ? 'boolean'
  : T extends number
    ? 'number'
    : T extends string
      ? 'string'
      : T extends readonly number[]
        ? 'numbers'
        : T extends object
          ? 'json'
          : never;

/**
 * Every field of a record and how it travels. The type makes this list
 * complete: a field added to RequestRecord does not compile until it is here
 * (and in {@link RecordBatch.add}, which the round-trip test checks).
 */
export const FIELDS = {
  id: 'number',
  scenario: 'string',
  step: 'number',
  stepName: 'string',
  kind: 'string',
  vu: 'number',
  iteration: 'number',
  attempt: 'number',
  turn: 'number',
  contextTokens: 'number',
  outcome: 'string',
  error: 'string',
  message: 'string',
  status: 'number',
  scheduled: 'number',
  sent: 'number',
  end: 'number',
  schedulingLagMs: 'number',
  ttfbMs: 'number',
  ttftMs: 'number',
  e2eMs: 'number',
  tpotMs: 'number',
  itlMs: 'numbers',
  chunks: 'number',
  inputTokens: 'number',
  outputTokens: 'number',
  inputTokensClient: 'number',
  outputTokensClient: 'number',
  redirects: 'json',
  encoding: 'string',
  logicalSent: 'number',
  ttfcMs: 'number',
  reasoningTokens: 'number',
  reasoningMs: 'number',
  tpotReasoningMs: 'number',
  tpotContentMs: 'number',
  quality: 'json',
  model: 'string',
  cachedInputTokens: 'number',
  costUsd: 'number',
  costEstimated: 'boolean',
  checks: 'json',
  agent: 'json',
  vectors: 'number',
} as const satisfies { [K in keyof Required<RequestRecord>]: KindOf<Required<RequestRecord>[K]> };

const TRUE = Buffer.from('true', 'latin1');
const FALSE = Buffer.from('false', 'latin1');
const NAMES = Object.keys(FIELDS) as (keyof typeof FIELDS)[];
const KINDS: FieldKind[] = NAMES.map((name) => FIELDS[name]);
/** Slots per record: one per field, a list takes two (offset, length). */
const SLOTS = KINDS.reduce((n, kind) => n + (kind === 'numbers' ? 2 : 1), 0);
/** `{"name":` for a record's first field, `,"name":` for the others. */
const FIRST_KEY = NAMES.map((name) => Buffer.from(`{"${name}":`, 'latin1'));
const NEXT_KEY = NAMES.map((name) => Buffer.from(`,"${name}":`, 'latin1'));

/** A batch as it crosses to the coordinator (both buffers can be transferred). */
export interface EncodedRecords {
  count: number;
  /** `count × SLOTS` numbers: a field's value, its string's index, or its list's offset and length; NaN when absent. */
  slots: Float64Array<ArrayBuffer>;
  strings: string[];
  /** The numbers of every list field, end to end. */
  lists: Float64Array<ArrayBuffer>;
}

/** A quality sample as JSON, its texts redacted (an answer may echo a secret it was sent). */
function qualityJson(q: NonNullable<RequestRecord['quality']>): string {
  if (q.text === undefined && q.reference === undefined) return JSON.stringify(q);
  const out = { ...q };
  if (q.text !== undefined) out.text = redactText(q.text);
  if (q.reference !== undefined) out.reference = redactText(q.reference);
  return JSON.stringify(out);
}

/** Records kept by a worker since its last flush. */
export class RecordBatch {
  readonly capacity: number;
  #slots: Float64Array;
  #count = 0;
  #strings: string[] = [];
  #index = new Map<string, number>();
  #lists: number[] = [];
  /** The last string seen in each string slot and its index: most records repeat their step's. */
  #lastString: (string | undefined)[] = new Array(SLOTS).fill(undefined);
  #lastIndex: number[] = new Array(SLOTS).fill(-1);

  constructor(capacity = 1024) {
    this.capacity = capacity;
    this.#slots = new Float64Array(capacity * SLOTS);
  }

  get count(): number {
    return this.#count;
  }

  /** Adds a record; true when the batch is now full (take it before adding more). */
  add(r: RequestRecord): boolean {
    const s = this.#slots;
    const o = this.#count * SLOTS;
    // One line per field, in FIELDS order (slot 22 is itlMs, which takes two).
    s[o] = r.id;
    s[o + 1] = this.#string(1, r.scenario);
    s[o + 2] = r.step;
    s[o + 3] = this.#string(3, r.stepName);
    s[o + 4] = this.#string(4, r.kind);
    s[o + 5] = r.vu;
    s[o + 6] = r.iteration;
    s[o + 7] = r.attempt ?? Number.NaN;
    s[o + 8] = r.turn ?? Number.NaN;
    s[o + 9] = r.contextTokens ?? Number.NaN;
    s[o + 10] = this.#string(10, r.outcome);
    s[o + 11] = this.#string(11, r.error);
    s[o + 12] = this.#string(12, r.message);
    s[o + 13] = r.status ?? Number.NaN;
    s[o + 14] = r.scheduled;
    s[o + 15] = r.sent;
    s[o + 16] = r.end;
    s[o + 17] = r.schedulingLagMs;
    s[o + 18] = r.ttfbMs ?? Number.NaN;
    s[o + 19] = r.ttftMs ?? Number.NaN;
    s[o + 20] = r.e2eMs ?? Number.NaN;
    s[o + 21] = r.tpotMs ?? Number.NaN;
    const itl = r.itlMs;
    if (itl === undefined) {
      s[o + 22] = Number.NaN;
      s[o + 23] = Number.NaN;
    } else {
      s[o + 22] = this.#lists.length;
      s[o + 23] = itl.length;
      for (let i = 0; i < itl.length; i++) this.#lists.push(itl[i] as number);
    }
    s[o + 24] = r.chunks ?? Number.NaN;
    s[o + 25] = r.inputTokens ?? Number.NaN;
    s[o + 26] = r.outputTokens ?? Number.NaN;
    s[o + 27] = r.inputTokensClient ?? Number.NaN;
    s[o + 28] = r.outputTokensClient ?? Number.NaN;
    s[o + 29] = r.redirects === undefined ? Number.NaN : this.#string(29, JSON.stringify(r.redirects));
    s[o + 30] = this.#string(30, r.encoding);
    s[o + 31] = r.logicalSent ?? Number.NaN;
    s[o + 32] = r.ttfcMs ?? Number.NaN;
    s[o + 33] = r.reasoningTokens ?? Number.NaN;
    s[o + 34] = r.reasoningMs ?? Number.NaN;
    s[o + 35] = r.tpotReasoningMs ?? Number.NaN;
    s[o + 36] = r.tpotContentMs ?? Number.NaN;
    s[o + 37] = r.quality === undefined ? Number.NaN : this.#string(37, qualityJson(r.quality));
    s[o + 38] = this.#string(38, r.model);
    s[o + 39] = r.cachedInputTokens ?? Number.NaN;
    s[o + 40] = r.costUsd ?? Number.NaN;
    s[o + 41] = r.costEstimated === undefined ? Number.NaN : r.costEstimated ? 1 : 0;
    s[o + 42] = r.checks === undefined ? Number.NaN : this.#string(42, JSON.stringify(r.checks));
    s[o + 43] = r.agent === undefined ? Number.NaN : this.#string(43, JSON.stringify(r.agent));
    s[o + 44] = r.vectors ?? Number.NaN;
    this.#count++;
    return this.#count >= this.capacity;
  }

  /** The records added since the last take (undefined when none); the batch starts afresh. */
  take(): EncodedRecords | undefined {
    if (this.#count === 0) return undefined;
    const taken: EncodedRecords = {
      count: this.#count,
      slots: this.#slots.slice(0, this.#count * SLOTS),
      strings: this.#strings,
      lists: Float64Array.from(this.#lists),
    };
    this.#count = 0;
    this.#strings = [];
    this.#index.clear();
    this.#lists = [];
    this.#lastString.fill(undefined);
    this.#lastIndex.fill(-1);
    return taken;
  }

  #string(slot: number, value: string | undefined): number {
    if (value === undefined) return Number.NaN;
    if (value === this.#lastString[slot]) return this.#lastIndex[slot] as number;
    let index = this.#index.get(value);
    if (index === undefined) {
      index = this.#strings.length;
      this.#strings.push(value);
      this.#index.set(value, index);
    }
    this.#lastString[slot] = value;
    this.#lastIndex[slot] = index;
    return index;
  }
}

/**
 * Writes batches as JSONL bytes into one buffer it reuses, so a batch costs
 * no strings but its string table's. Text made with `+=` and written as a
 * string cost the coordinator ~2.8 µs a record in the plain-HTTP loop (most
 * of it `Number#toString`, then flattening and encoding the text); bytes
 * cost ~1.3 µs (20k records of a real run encoded and written to /dev/shm
 * in a loop, both ways, on one core). Numbers print as `JSON.stringify`
 * prints them: run-clock values have at most three decimals and take a
 * digit loop, anything else `String(v)`.
 */
export class LineEncoder {
  #out: Buffer;

  constructor(initialBytes = 1 << 16) {
    this.#out = Buffer.allocUnsafe(initialBytes);
  }

  /** The JSONL of a batch, a line per record; the view is valid until the next call. */
  encode(batch: EncodedRecords): Buffer {
    const { slots, lists } = batch;
    // The string table (scenario, step names, messages) is small: redacted once per batch, not per record.
    const strings = batch.strings.map((v) => Buffer.from(JSON.stringify(redactText(v)), 'utf8'));
    let pos = 0;
    for (let r = 0; r < batch.count; r++) {
      let slot = r * SLOTS;
      let first = true;
      for (let f = 0; f < KINDS.length; f++) {
        const kind = KINDS[f];
        const v = slots[slot] as number;
        slot++;
        const key = (first ? FIRST_KEY[f] : NEXT_KEY[f]) as Buffer;
        if (kind === 'numbers') {
          const length = slots[slot] as number;
          slot++;
          if (Number.isNaN(v)) continue;
          pos = this.#bytes(pos, key, 1);
          this.#out[pos++] = 0x5b; // [
          for (let i = 0; i < length; i++) {
            this.#room(pos, MAX_NUMBER_BYTES + 1);
            if (i > 0) this.#out[pos++] = 0x2c; // ,
            pos = this.#number(pos, lists[v + i] as number);
          }
          this.#room(pos, 1);
          this.#out[pos++] = 0x5d; // ]
        } else if (!Number.isNaN(v)) {
          if (kind === 'string') pos = this.#bytes(this.#bytes(pos, key, 0), strings[v] as Buffer, 0);
          else if (kind === 'boolean') pos = this.#bytes(this.#bytes(pos, key, 0), v === 1 ? TRUE : FALSE, 0);
          else if (kind === 'json') {
            pos = this.#bytes(this.#bytes(pos, key, 0), Buffer.from(batch.strings[v] as string, 'utf8'), 0);
          } else {
            pos = this.#bytes(pos, key, MAX_NUMBER_BYTES);
            pos = this.#number(pos, v);
          }
        } else continue;
        first = false;
      }
      this.#room(pos, 3);
      if (first) this.#out[pos++] = 0x7b; // { of a record without fields
      this.#out[pos++] = 0x7d; // }
      this.#out[pos++] = 0x0a;
    }
    return this.#out.subarray(0, pos);
  }

  /** Makes room for `n` more bytes after `pos`. */
  #room(pos: number, n: number): void {
    if (pos + n <= this.#out.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.#out.length * 2, pos + n));
    this.#out.copy(grown, 0, 0, pos);
    this.#out = grown;
  }

  /** Copies `bytes` to `pos` with room for `extra` more; returns the end. */
  #bytes(pos: number, bytes: Buffer, extra: number): number {
    this.#room(pos, bytes.length + extra);
    const out = this.#out;
    if (bytes.length < 32) for (let i = 0; i < bytes.length; i++) out[pos + i] = bytes[i] as number;
    else bytes.copy(out, pos);
    return pos + bytes.length;
  }

  /** A number as `JSON.stringify` writes it (non-finite as null), at `pos` (room made by the caller). */
  #number(pos: number, value: number): number {
    const out = this.#out;
    const negative = value < 0;
    const v = negative ? -value : value;
    if (negative) out[pos++] = 0x2d; // -
    if (Number.isInteger(v) && v <= Number.MAX_SAFE_INTEGER) return this.#digits(pos, v);
    // Three decimals or fewer and under 15 significant digits: these digits are the shortest
    // that read back as v, which is what Number#toString prints.
    const n = Math.round(v * 1000);
    if (n / 1000 === v && n < 1e15) {
      const whole = Math.floor(n / 1000);
      let frac = n - whole * 1000;
      pos = this.#digits(pos, whole);
      out[pos++] = 0x2e; // .
      out[pos++] = 0x30 + Math.floor(frac / 100);
      frac %= 100;
      if (frac !== 0) {
        out[pos++] = 0x30 + Math.floor(frac / 10);
        frac %= 10;
        if (frac !== 0) out[pos++] = 0x30 + frac;
      }
      return pos;
    }
    const text = Number.isFinite(value) ? String(value) : 'null';
    // Written over the sign: a negative number's text has its own.
    let at = negative ? pos - 1 : pos;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i);
    return at;
  }

  /** A non-negative safe integer's decimal digits at `pos`. */
  #digits(pos: number, x: number): number {
    const out = this.#out;
    let digits = 1;
    for (let t = x; t >= 10; t = Math.floor(t / 10)) digits++;
    let at = pos + digits;
    let t = x;
    while (t >= 10) {
      const q = Math.floor(t / 10);
      out[--at] = 0x30 + (t - q * 10);
      t = q;
    }
    out[--at] = 0x30 + t;
    return pos + digits;
  }
}

/** Bytes a number may take: `String(v)` of a double is at most 24 characters (`-1.2345678901234567e-300`). */
const MAX_NUMBER_BYTES = 25;

const shared = new LineEncoder();

/** The JSONL text of a batch: a line per record, each ending in a newline. */
export function recordLines(batch: EncodedRecords): string {
  return shared.encode(batch).toString('utf8');
}
