import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { type AggregateState, RunAggregator } from '../metrics/index.js';
import { recordLines } from '../store/index.js';
import type { RecordsMode } from './worker-protocol.js';
import { MAX_BACKLOG, recordFilter, WorkerRecorder } from './worker-recorder.js';

const META = { name: 't', startedAt: '2026-01-01T00:00:00.000Z', durationS: 60 };

function records(n: number): RequestRecord[] {
  return Array.from({ length: n }, (_, i) =>
    recordOf({
      id: i,
      scheduled: i * 10,
      sent: i * 10,
      end: i * 10 + 50 + (i % 7),
      ttftMs: 20 + (i % 13),
      e2eMs: 50 + (i % 7),
      itlMs: [1, 2, 3],
      outcome: i % 10 === 0 ? 'error' : 'ok',
      error: i % 10 === 0 ? 'http_5xx' : undefined,
    }),
  );
}

function recorder(
  mode: RecordsMode,
  stages = [] as { name: string; startMs: number; endMs: number }[],
  backlog = () => 0,
) {
  // `text`: every line in the order sent; `batches`/`texts`: how they travelled.
  const out = { text: '', batches: 0, texts: 0, states: [] as AggregateState[] };
  const r = new WorkerRecorder({
    slos: [],
    stages,
    records: mode,
    output: {
      batch: (batch) => {
        out.batches++;
        out.text += recordLines(structuredClone(batch));
      },
      lines: (text) => {
        out.texts++;
        out.text += text;
      },
      backlog,
      state: (state) => out.states.push(structuredClone(state)),
    },
  });
  return { r, out };
}

describe('WorkerRecorder', () => {
  it('ships lines of every record and states whose merge equals aggregating the records', () => {
    const all = records(500);
    const { r, out } = recorder({ mode: 'full' });
    all.forEach((rec, i) => {
      r.add(rec);
      if (i % 170 === 169) r.ship();
    });
    r.close();
    expect(out.states).toHaveLength(3);
    const lines = out.text.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(all);
    const merged = new RunAggregator();
    for (const s of out.states) merged.merge(s);
    const direct = new RunAggregator();
    for (const rec of all) direct.add(rec);
    expect(merged.snapshot(META)).toEqual(direct.snapshot(META));
    // Nothing goes out after close.
    r.add(all[0] as RequestRecord);
    r.ship();
    expect(out.states).toHaveLength(3);
  });

  it('sends batches while the coordinator keeps up, and text of its own once it is MAX_BACKLOG behind', () => {
    let behind = 0;
    const { r, out } = recorder({ mode: 'full' }, [], () => behind);
    const all = records(3000);
    for (const rec of all.slice(0, 1500)) r.add(rec);
    r.flushLines();
    expect(out).toMatchObject({ batches: 2, texts: 0 });
    behind = MAX_BACKLOG;
    for (const rec of all.slice(1500)) r.add(rec);
    r.close();
    // 1,024 a batch: 1,024 and 476 went as batches, the next 1,024 and 476 as text.
    expect(out).toMatchObject({ batches: 2, texts: 2 });
    expect(
      out.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual(all);
  });

  it('ships every `shipEvery` records too, whatever it keeps, until that is set to 0', () => {
    const states: AggregateState[] = [];
    const r = new WorkerRecorder({
      slos: [],
      stages: [],
      records: { mode: 'off' },
      shipEvery: 250,
      output: { batch: () => undefined, lines: () => undefined, state: (s) => states.push(s) },
    });
    const all = records(1100);
    for (const rec of all.slice(0, 600)) r.add(rec);
    expect(states).toHaveLength(2);
    r.shipEvery = 0;
    r.ship();
    for (const rec of all.slice(600)) r.add(rec);
    r.close();
    // 250, 250, the 100 shipped by hand, then the last 500 at close.
    expect(states).toHaveLength(4);
    const merged = new RunAggregator();
    for (const s of states) merged.merge(s);
    expect(merged.snapshot(META).counts.requests).toBe(1100);
  });

  it('writes lines only for the records kept, and counts all of them', () => {
    const sampled = recorder({ mode: 'sampled', rate: 0.1 });
    const off = recorder({ mode: 'off' });
    for (const rec of records(200)) {
      sampled.r.add(rec);
      off.r.add(rec);
    }
    sampled.r.close();
    off.r.close();
    const kept = sampled.out.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as RequestRecord).id);
    expect(kept).toEqual(Array.from({ length: 20 }, (_, k) => k * 10));
    expect(off.out.text).toBe('');
    for (const { out } of [sampled, off]) {
      const merged = new RunAggregator();
      for (const s of out.states) merged.merge(s);
      expect(merged.snapshot(META).counts.requests).toBe(200);
    }
    expect(recordFilter({ mode: 'sampled', rate: 0.5 })(recordOf({ id: 3 }))).toBe(false);
  });

  it('counts records in the stages it knows, planned and announced', () => {
    const planned = { name: 'first', startMs: 0, endMs: 1000 };
    const announced = { name: 'second', startMs: 1000, endMs: 5000 };
    const { r, out } = recorder({ mode: 'off' }, [planned]);
    const all = records(300);
    for (const rec of all.slice(0, 100)) r.add(rec);
    r.ship();
    r.addStage(announced);
    for (const rec of all.slice(100)) r.add(rec);
    r.close();
    const merged = new RunAggregator({ stages: [planned, announced] });
    for (const s of out.states) merged.merge(s);
    expect(merged.snapshot(META).stages?.map((s) => s.counts.requests)).toEqual([100, 200]);
  });
});
