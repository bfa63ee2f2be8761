import { describe, expect, it } from 'vitest';
import { ERROR_KINDS, type RequestRecord } from '../core/index.js';
import { createRng } from '../random/rng.js';
import { FIELDS, RecordBatch, recordLines } from './record-batch.js';

/** Every field set, each to a value no other field has: a field lost or swapped in transit shows. */
const FULL: Required<RequestRecord> = {
  id: 7,
  scenario: 'chat "quoted"',
  step: 2,
  stepName: 'chat\nnext line',
  kind: 'chat',
  vu: 11,
  iteration: 12,
  attempt: 3,
  turn: 4,
  contextTokens: 1536,
  outcome: 'error',
  error: 'http_5xx',
  message: 'HTTP 503: überlastet \u2028 \ud83d\ude00',
  status: 503,
  scheduled: 1000.125,
  sent: 1000.5,
  end: 1730.75,
  schedulingLagMs: 0.375,
  ttfbMs: 40.001,
  ttftMs: 41.002,
  e2eMs: 730.25,
  tpotMs: 12.003,
  itlMs: [10.5, 0, 11.25, 1e-6, 123456.789],
  chunks: 6,
  inputTokens: 1500,
  outputTokens: 59,
  inputTokensClient: 1499,
  outputTokensClient: 58,
  redirects: [
    { status: 301, location: 'http://127.0.0.1:1/a "b"', ms: 1.5 },
    { status: 307, location: 'https://example.test/c', ms: 0.001 },
  ],
  encoding: 'gzip',
  agent: {
    steps: 3,
    modelCalls: 4,
    tools: [{ tool: 'search "x"', ms: 1.5, outcome: 'timeout', attempt: 2 }],
    end: 'answer',
    success: true,
    inputTokens: 10,
    outputTokens: 5,
  },
  logicalSent: 17.5,
  ttfcMs: 241.004,
  reasoningTokens: 20,
  reasoningMs: 200.005,
  tpotReasoningMs: 10.006,
  tpotContentMs: 13.007,
  quality: {
    key: 12345,
    f1: 0.5,
    rougeL: 0.4,
    refusal: true,
    finish: 'length',
    text: 'an "answer"',
    reference: 'ref',
  },
  model: 'gpt-4o-mini-2024-07-18',
  cachedInputTokens: 1024,
  costUsd: 0.000123456,
  costEstimated: true,
  checks: { json: true, 'contains "x"': false },
  vectors: 8,
};

const lines = (text: string) => {
  expect(text.endsWith('\n')).toBe(true);
  return text
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as unknown);
};

/** A record with a random subset of fields and awkward values, seeded. */
function randomRecord(rng: () => number, id: number): RequestRecord {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rng() * xs.length)] as T;
  const text = () => {
    const pool = ['a', 'Z', ' ', '"', '\\', '\n', '\t', '\u0000', '\u007f', 'é', '\u2028', '😀', '/'];
    return Array.from({ length: Math.floor(rng() * 8) }, () => pick(pool)).join('');
  };
  const num = () =>
    pick([
      () => Math.floor(rng() * 1e6),
      () => Math.round(rng() * 1e9) / 1000,
      () => -Math.round(rng() * 1e6) / 1000,
      () => rng() * 1e-3,
      () => 2 ** 53 - 1,
      () => 0,
      // Where a digit loop could part from Number#toString: signs, ends of ranges, no short form.
      () =>
        pick([
          -0,
          2 ** 31,
          2 ** 31 - 0.001,
          2 ** 32 + 0.5,
          2 ** 53,
          -(2 ** 53),
          1e15 - 0.001,
          1e15 + 0.5,
          123456789012.345,
          999.999,
          0.001,
          -0.009,
          0.05,
          0.1 + 0.2,
          1e-7,
          5e-324,
          1e21,
          -1e21,
          1.7976931348623157e308,
          4.35,
          1.005,
          0.3,
          -1234.5,
          1e14 + 0.125,
          2 ** 50 + 0.5,
        ]),
    ])();
  const r: RequestRecord = {
    id,
    scenario: text(),
    step: Math.floor(rng() * 5),
    stepName: pick(['GET /', 'chat', text()]),
    kind: pick(['chat', 'completion', 'http'] as const),
    vu: Math.floor(rng() * 100),
    iteration: Math.floor(rng() * 1e6),
    outcome: pick(['ok', 'error', 'cancelled'] as const),
    scheduled: num(),
    sent: num(),
    end: num(),
    schedulingLagMs: num(),
  };
  const optional = r as unknown as Record<string, unknown>;
  for (const [name, kind] of Object.entries(FIELDS)) {
    if (name in r || rng() < 0.5) continue;
    if (name === 'error') optional[name] = pick(ERROR_KINDS);
    else if (kind === 'string') optional[name] = text();
    else if (kind === 'number') optional[name] = num();
    else if (name === 'checks') optional[name] = { [text()]: rng() < 0.5, json: true };
    else if (kind === 'json') optional[name] = [{ status: 302, location: text(), ms: num() }];
    else if (kind === 'boolean') optional[name] = rng() < 0.5;
    else optional[name] = Array.from({ length: Math.floor(rng() * 6) }, num);
  }
  return r;
}

describe('record batches', () => {
  it('carries every field of a record to its JSONL line', () => {
    const batch = new RecordBatch();
    batch.add(FULL);
    const taken = batch.take();
    expect(taken?.count).toBe(1);
    expect(lines(recordLines(structuredClone(taken) as NonNullable<typeof taken>))).toEqual([FULL]);
    // The line lists the fields in FIELDS order.
    expect(Object.keys(lines(recordLines(taken as NonNullable<typeof taken>))[0] as object)).toEqual(
      Object.keys(FIELDS),
    );
  });

  it('redacts a secret an answer or its reference echoes in the quality sample', () => {
    const batch = new RecordBatch();
    const key = 'sk-proj-abcdefghijklmnop1234';
    batch.add({ ...FULL, quality: { key: 1, text: `your key is ${key}`, reference: `Bearer ${key}` } });
    const text = recordLines(batch.take() as NonNullable<ReturnType<RecordBatch['take']>>);
    expect(text).not.toContain(key);
    const quality = (lines(text)[0] as RequestRecord).quality;
    expect(quality?.text).toMatch(/^your key is /);
    expect(quality?.key).toBe(1);
  });

  it('writes what JSON.stringify writes for 2,000 random records, across batches', () => {
    const seed = 20261202;
    const rng = createRng(seed);
    const all = Array.from({ length: 2000 }, (_, i) => randomRecord(rng, i));
    const batch = new RecordBatch(300);
    let text = '';
    let full = 0;
    for (const r of all) {
      if (batch.add(r)) {
        full++;
        text += recordLines(batch.take() as NonNullable<ReturnType<RecordBatch['take']>>);
      }
    }
    text += recordLines(batch.take() as NonNullable<ReturnType<RecordBatch['take']>>);
    expect(full).toBe(6);
    expect(lines(text), `seed ${seed}`).toEqual(all.map((r) => JSON.parse(JSON.stringify(r))));
    // Byte for byte, numbers too: JSON.stringify of each record with its fields in FIELDS order.
    const inOrder = (r: RequestRecord) => {
      const fields = r as unknown as Record<string, unknown>;
      return Object.fromEntries(Object.keys(FIELDS).flatMap((k) => (k in fields ? [[k, fields[k]]] : [])));
    };
    expect(text, `seed ${seed}`).toBe(all.map((r) => `${JSON.stringify(inOrder(r))}\n`).join(''));
  });

  it('keeps a batch to itself: strings and lists start afresh after a take, and an empty batch gives nothing', () => {
    const batch = new RecordBatch(4);
    expect(batch.take()).toBeUndefined();
    const a = { ...FULL, id: 1, scenario: 'first', itlMs: [1, 2] };
    const b = { ...FULL, id: 2, scenario: 'second', itlMs: [3] };
    batch.add(a);
    batch.add(a);
    const one = batch.take();
    batch.add(b);
    const two = batch.take();
    // A string repeated in a batch is carried once.
    expect(one?.strings.filter((s) => s === 'first')).toHaveLength(1);
    expect(two?.strings).not.toContain('first');
    expect(Array.from(two?.lists ?? [])).toEqual([3]);
    expect(lines(recordLines(one as NonNullable<typeof one>))).toEqual([a, a]);
    expect(lines(recordLines(two as NonNullable<typeof two>))).toEqual([b]);
    expect(batch.count).toBe(0);
  });

  it('leaves out a number that is NaN, writes a non-finite one as null, and a record without fields as {}', () => {
    const batch = new RecordBatch();
    batch.add({ ...FULL, ttftMs: Number.NaN, e2eMs: Number.POSITIVE_INFINITY, itlMs: [Number.NaN] });
    batch.add({} as RequestRecord);
    const [first, empty] = lines(
      recordLines(batch.take() as NonNullable<ReturnType<RecordBatch['take']>>),
    ) as [Record<string, unknown>, Record<string, unknown>];
    expect(first).not.toHaveProperty('ttftMs');
    expect(first.e2eMs).toBeNull();
    expect(first.itlMs).toEqual([null]);
    expect(empty).toEqual({});
  });
});
