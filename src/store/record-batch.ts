/**
 * @module store/record-batch
 * Records on their way to records.jsonl, as numbers instead of text. A worker
 * puts each kept record in a batch (a slot per field in a Float64Array, its
 * strings in a table) and transfers the batch to the coordinator, which
 * writes the JSONL lines. Making the text on the worker (`JSON.stringify`, a
 * string posted and copied) cost it ~3.4 µs a request in the plain-HTTP loop,
 * ~11 % of its time (`--cpu-prof`); a batch costs it ~0.2 µs a record, and
 * the coordinator writes a line in ~0.7 µs (`JSON.stringify`: ~1.2 µs).
 *
 * A line holds the fields that are present, in the order of {@link FIELDS};
 * a number field holding NaN is left out (`JSON.stringify` wrote `null`).
 */
import type { RequestRecord } from '../metrics/index.js';

type FieldKind = 'number' | 'string' | 'numbers';
type KindOf<T> = T extends number
  ? 'number'
  : T extends string
    ? 'string'
    : T extends readonly number[]
      ? 'numbers'
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
} as const satisfies { [K in keyof Required<RequestRecord>]: KindOf<Required<RequestRecord>[K]> };

const NAMES = Object.keys(FIELDS) as (keyof typeof FIELDS)[];
const KINDS: FieldKind[] = NAMES.map((name) => FIELDS[name]);
/** Slots per record: one per field, a list takes two (offset, length). */
const SLOTS = KINDS.reduce((n, kind) => n + (kind === 'numbers' ? 2 : 1), 0);
/** `{"name":` for a record's first field, `,"name":` for the others. */
const FIRST_KEY = NAMES.map((name) => `{"${name}":`);
const NEXT_KEY = NAMES.map((name) => `,"${name}":`);

/** A batch as it crosses to the coordinator (both buffers can be transferred). */
export interface EncodedRecords {
  count: number;
  /** `count × SLOTS` numbers: a field's value, its string's index, or its list's offset and length; NaN when absent. */
  slots: Float64Array<ArrayBuffer>;
  strings: string[];
  /** The numbers of every list field, end to end. */
  lists: Float64Array<ArrayBuffer>;
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

/** JSON for a number as `JSON.stringify` writes it (non-finite numbers as null). */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/** The JSONL text of a batch: a line per record, each ending in a newline. */
export function recordLines(batch: EncodedRecords): string {
  const { slots, lists } = batch;
  const strings = batch.strings.map((s) => JSON.stringify(s));
  let text = '';
  for (let r = 0; r < batch.count; r++) {
    let line = '';
    let slot = r * SLOTS;
    for (let f = 0; f < KINDS.length; f++) {
      const kind = KINDS[f];
      const v = slots[slot] as number;
      slot++;
      if (kind === 'numbers') {
        const length = slots[slot] as number;
        slot++;
        if (Number.isNaN(v)) continue;
        let list = '[';
        for (let i = 0; i < length; i++) list += (i === 0 ? '' : ',') + jsonNumber(lists[v + i] as number);
        line += `${(line === '' ? FIRST_KEY[f] : NEXT_KEY[f]) as string}${list}]`;
        continue;
      }
      if (Number.isNaN(v)) continue;
      line += `${(line === '' ? FIRST_KEY[f] : NEXT_KEY[f]) as string}${kind === 'string' ? strings[v] : jsonNumber(v)}`;
    }
    text += `${line === '' ? '{' : line}}\n`;
  }
  return text;
}
