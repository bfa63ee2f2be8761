import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { createRng } from '../random/index.js';
import { Feeder, type FeederSpec } from './feeder.js';
import { DataError } from './row-reader.js';
import { Workload } from './workload.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-feeder-'));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const csv = file('q.csv', 'id,question\n0,"Hello, ""world"""\n1,"two\nlines"\n2,naïve café ☕\n3,plain\n');
const jsonl = file('q.jsonl', '{"id":0,"tags":["a"]}\n\n{"id":1}\n{"id":2}\n{"id":3}');

const spec = (over: Partial<FeederSpec>): FeederSpec => ({
  file: csv,
  strategy: 'circular',
  on_exhausted: 'stop',
  delimiter: ',',
  ...over,
});

async function take(feeder: Feeder, n: number, seed = 1) {
  const rng = createRng(seed);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) out.push((await feeder.next(rng))?.id);
  return out;
}

describe('feeders', () => {
  it('parses CSV (quotes, embedded newlines, UTF-8) and JSONL, and wraps when circular', async () => {
    const rows = new Feeder(spec({}));
    const rng = createRng(1);
    expect(await rows.next(rng)).toEqual({ id: '0', question: 'Hello, "world"' });
    expect(await rows.next(rng)).toEqual({ id: '1', question: 'two\nlines' });
    expect(await rows.next(rng)).toEqual({ id: '2', question: 'naïve café ☕' });
    expect(await take(rows, 4)).toEqual(['3', '0', '1', '2']);
    expect(await take(new Feeder(spec({ file: jsonl })), 5)).toEqual([0, 1, 2, 3, 0]);
  });

  it('stops a sequential feeder at the end of the file', async () => {
    const rows = new Feeder(spec({ strategy: 'sequential' }));
    expect(await take(rows, 6)).toEqual(['0', '1', '2', '3', undefined, undefined]);
    expect(rows.exhausted).toBe(true);
  });

  it('serves concurrent callers one row each, in call order', async () => {
    const rows = new Feeder(spec({ strategy: 'sequential', file: jsonl }));
    const rng = createRng(1);
    const got = await Promise.all([rows.next(rng), rows.next(rng), rows.next(rng), rows.next(rng)]);
    expect(got.map((r) => r?.id)).toEqual([0, 1, 2, 3]);
  });

  it('reads random rows by byte offset: every row reachable, reproducible under the seed', async () => {
    const a = await take(new Feeder(spec({ strategy: 'random' })), 200, 5);
    expect(await take(new Feeder(spec({ strategy: 'random' })), 200, 5)).toEqual(a);
    expect(new Set(a)).toEqual(new Set(['0', '1', '2', '3']));
    const feeder = new Feeder(spec({ strategy: 'random', file: jsonl }));
    const rows = await Promise.all(Array.from({ length: 40 }, () => feeder.next(createRng(2))));
    // The same draw gives the same row; JSONL rows keep their types.
    expect(new Set(rows.map((r) => JSON.stringify(r))).size).toBe(1);
    expect([0, 1, 2, 3]).toContain(rows[0]?.id);
    await feeder.close();
  });

  it('partitions unique rows across workers: none used twice, all used', async () => {
    const w0 = new Feeder(spec({ strategy: 'unique', file: jsonl }), { workerIndex: 0, workerCount: 2 });
    const w1 = new Feeder(spec({ strategy: 'unique', file: jsonl }), { workerIndex: 1, workerCount: 2 });
    expect(await take(w0, 3)).toEqual([0, 2, undefined]);
    expect(await take(w1, 3)).toEqual([1, 3, undefined]);
  });

  it('on_exhausted: error fails the iteration with check_failed naming the file, and signals the engine', async () => {
    const test = parseTest(
      {
        scenarios: [
          {
            name: 's',
            feeder: { file: jsonl, strategy: 'unique', on_exhausted: 'error' },
            steps: [{ http: { url: '/{{ row.id }}' } }],
          },
        ],
        load: { executor: 'constant-vus', vus: 1, iterations: 1 },
      },
      'inline',
    );
    const workload = new Workload(test, 'http://127.0.0.1:9');
    const feeder = workload.scenarios[0]?.feeder as Feeder;
    for (let i = 0; i < 4; i++) await feeder.next(createRng(1));
    const records: { error?: string; message?: string }[] = [];
    await workload.runIteration({
      vu: 0,
      iteration: 0,
      scheduled: 0,
      sink: (r) => records.push(r),
      dispatcher: undefined as never,
      clock: () => 0,
    });
    expect(records).toHaveLength(1);
    expect(records[0]?.error).toBe('check_failed');
    expect(records[0]?.message).toContain(`feeder ${jsonl} is exhausted`);
    expect(workload.exhausted.aborted).toBe(true);
  });
});

describe('bad rows', () => {
  /** Settles `p` or fails after `ms`: a feeder must answer, never leave the caller waiting. */
  async function within<T>(p: Promise<T>, ms = 10_000): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([p, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function failure(feeder: Feeder, calls: number): Promise<unknown> {
    const rng = createRng(1);
    for (let i = 0; i < calls; i++) {
      try {
        await within(feeder.next(rng));
      } catch (err) {
        return err;
      }
    }
    return undefined;
  }

  it('an unterminated CSV quote is a DataError naming the file and line, for every later call too', async () => {
    const bad = file('quote.csv', 'id,q\n0,fine\n1,"never closed\n2,x\n3,y\n');
    const feeder = new Feeder(spec({ file: bad }));
    const err = await failure(feeder, 3);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(new RegExp(`^${bad}:\\d+: Quote Not Closed.*\\(data row 2\\)`));
    // Later calls reject at once with the same error: nothing waits on, or re-reads, a dead stream.
    for (let i = 0; i < 3; i++) await expect(within(feeder.next(createRng(1)))).rejects.toBe(err);
    await feeder.close();
  });

  it('a ragged CSV row is an error unless relax_column_count', async () => {
    const ragged = file('ragged.csv', 'id,q\n0,a\n1,b,extra\n2\n');
    const err = await failure(new Feeder(spec({ file: ragged })), 3);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe(
      `${ragged}:3: Invalid Record Length: expect 2, got 3 on line 3 (data row 2)`,
    );
    const relaxed = new Feeder(spec({ file: ragged, relax_column_count: true, strategy: 'sequential' }));
    const rng = createRng(1);
    const rows = [await relaxed.next(rng), await relaxed.next(rng), await relaxed.next(rng)];
    expect(rows).toEqual([
      { id: '0', q: 'a' },
      { id: '1', q: 'b' },
      { id: '2', q: '' },
    ]);
  });

  it('a JSONL line that is not JSON is an error naming the file and line', async () => {
    const bad = file('bad.jsonl', '{"id":0}\n\n{"id":1}\n{"id": oops}\n{"id":3}\n');
    const err = await failure(new Feeder(spec({ file: bad })), 4);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe(`${bad}:4: not valid JSON`);
  });

  it('ready() rejects with a bad first row, and with a bad row anywhere for random', async () => {
    const first = file('first.jsonl', 'not json\n{"id":1}\n');
    await expect(new Feeder(spec({ file: first })).ready()).rejects.toThrow(`${first}:1: not valid JSON`);
    const late = file('late.csv', 'id,q\n0,a\n1,b\n2,"open\n');
    await expect(new Feeder(spec({ file: late })).ready()).resolves.toBeUndefined();
    await expect(new Feeder(spec({ file: late, strategy: 'random' })).ready()).rejects.toBeInstanceOf(
      DataError,
    );
  });

  it('a bad row met in the run is one data_error record and signals the engine to stop', async () => {
    const bad = file('mid.jsonl', '{"id":0}\n{"id":1}\n{oops\n{"id":3}\n');
    const test = parseTest(
      {
        scenarios: [
          { name: 's', feeder: { file: bad, strategy: 'circular' }, steps: [{ http: { url: '/x' } }] },
        ],
        load: { executor: 'constant-vus', vus: 1, iterations: 1 },
      },
      'inline',
    );
    const workload = new Workload(test, 'http://127.0.0.1:9');
    await workload.ready();
    const feeder = workload.scenarios[0]?.feeder as Feeder;
    for (let i = 0; i < 2; i++) await feeder.next(createRng(1));
    const records: { error?: string; message?: string }[] = [];
    const iteration = (n: number) =>
      workload.runIteration({
        vu: 0,
        iteration: n,
        scheduled: 0,
        sink: (r) => records.push(r),
        dispatcher: undefined as never,
        clock: () => 0,
      });
    await within(Promise.all([iteration(0), iteration(1), iteration(2)]));
    expect(records).toEqual([
      expect.objectContaining({ error: 'data_error', message: `${bad}:3: not valid JSON` }),
    ]);
    expect(workload.dataError.aborted).toBe(true);
    expect(workload.dataError.reason).toBe(`${bad}:3: not valid JSON`);
    await workload.close();
  });
});
