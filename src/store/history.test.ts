import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetricHistogram } from '../metrics/histogram.js';
import type { Summary } from '../report/summary.js';
import { openHistory } from './history.js';
import { HistoryBusyError } from './history-lock.js';
import { type HistoryEntry, ROLLING_MIN_RUNS } from './history-model.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tokenstorm-history-'));
  path = join(dir, 'h', 'history.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function histogramOf(values: number[]): MetricHistogram {
  const h = new MetricHistogram('ms');
  h.recordAll(values);
  return h;
}

let seq = 0;
function entry(
  over: Partial<HistoryEntry> & { tags?: Record<string, string>; ttft?: number[] } = {},
): HistoryEntry {
  seq++;
  const ttft = over.ttft ?? [10, 20, 30, 40, 500];
  const summary = {
    name: over.test ?? 'chat',
    passed: over.passed ?? true,
    durationS: 2,
    counts: { requests: ttft.length },
    rates: { error_rate: 0, output_tokens_per_s: 100 },
    metrics: { ttft_ms: histogramOf(ttft).stats(), e2e_ms: histogramOf(ttft).stats() },
  } as unknown as Summary;
  return {
    uid: over.uid ?? `run-${seq}`,
    test: over.test ?? 'chat',
    target: over.target ?? 'mock',
    labels: { tags: over.tags ?? {}, ...(over.labels?.git ? { git: over.labels.git } : {}) },
    startedAt: new Date(Date.UTC(2026, 11, 7, 12, 0, seq)).toISOString(),
    durationS: 2,
    passed: over.passed ?? true,
    complete: over.complete ?? true,
    summary,
    histograms: over.histograms ?? {
      run: { ttft_ms: histogramOf(ttft).encode() },
      windows: [
        { start_s: 0, metric: 'ttft_ms', histogram: histogramOf(ttft.slice(0, 2)).encode() },
        { start_s: 1, metric: 'ttft_ms', histogram: histogramOf(ttft.slice(2)).encode() },
      ],
    },
  };
}

describe('run history store', () => {
  it('keeps a run with its labels, summary and histograms across reopening', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 5 + ((i * 37) % 400) / 3);
    const h = openHistory(path);
    const { id, added } = h.add(
      entry({
        tags: { profile: 'weekday', build: '7' },
        ttft: values,
        labels: { tags: {}, git: { commit: 'abc1234', branch: 'main', dirty: true } },
      }),
    );
    expect(added).toBe(true);
    h.close();

    const again = openHistory(path);
    const run = again.get(id);
    again.close();
    expect(run?.tags).toEqual({ build: '7', profile: 'weekday' });
    expect(run?.git).toEqual({ commit: 'abc1234', branch: 'main', dirty: true });
    expect(run?.summary.metrics.ttft_ms?.p99).toBe(histogramOf(values).percentile(99));
    // The distribution itself, not its rounded percentiles: any percentile can be read back.
    const decoded = MetricHistogram.decode(run?.histograms.run.ttft_ms as string);
    for (const p of [1, 50, 90, 99.9]) expect(decoded.percentile(p)).toBe(histogramOf(values).percentile(p));
    expect(run?.histograms.windows.map((w) => [w.start_s, w.metric])).toEqual([
      [0, 'ttft_ms'],
      [1, 'ttft_ms'],
    ]);
    expect(MetricHistogram.decode(run?.histograms.windows[0]?.histogram as string).count).toBe(2);
  });

  it('records a run once: the same uid added again keeps the first', () => {
    const h = openHistory(path);
    const first = h.add(entry({ uid: 'same' }));
    const second = h.add(entry({ uid: 'same', test: 'other' }));
    expect(second).toEqual({ id: first.id, added: false });
    expect(h.list().map((r) => r.test)).toEqual(['chat']);
    h.close();
  });

  it('lists newest first, filtered by test, target and tags (a run may carry more tags)', () => {
    const h = openHistory(path);
    h.add(entry({ tags: { profile: 'weekday' } }));
    h.add(entry({ tags: { profile: 'weekend' } }));
    h.add(entry({ tags: { profile: 'weekday', region: 'eu' }, target: 'http://127.0.0.1:9/v1' }));
    h.add(entry({ test: 'rag', tags: { profile: 'weekday' } }));
    expect(h.list().map((r) => r.id)).toEqual([4, 3, 2, 1]);
    expect(h.list({ tags: { profile: 'weekday' } }).map((r) => r.id)).toEqual([4, 3, 1]);
    expect(h.list({ test: 'chat', tags: { profile: 'weekday' } }).map((r) => r.id)).toEqual([3, 1]);
    expect(h.list({ target: 'mock', tags: { profile: 'weekday' }, limit: 1 }).map((r) => r.id)).toEqual([4]);
    expect(h.list()[0]?.figures.requests).toBe(5);
    h.close();
  });

  it('rolling baselines take only passing complete runs with the same test, target and exactly the same tags', () => {
    const h = openHistory(path);
    const weekday: number[] = [];
    for (let i = 0; i < 3; i++) weekday.push(h.add(entry({ tags: { profile: 'weekday' } })).id);
    h.add(entry({ tags: { profile: 'weekend' } }));
    h.add(entry({ tags: { profile: 'weekday', region: 'eu' } }));
    h.add(entry({ tags: {} }));
    h.add(entry({ tags: { profile: 'weekday' }, target: 'http://127.0.0.1:9/v1' }));
    h.add(entry({ tags: { profile: 'weekday' }, test: 'rag' }));
    h.add(entry({ tags: { profile: 'weekday' }, passed: false }));
    h.add(entry({ tags: { profile: 'weekday' }, complete: false }));
    for (let i = 0; i < 3; i++) weekday.push(h.add(entry({ tags: { profile: 'weekday' } })).id);

    const labels = { test: 'chat', target: 'mock', tags: { profile: 'weekday' } };
    const all = h.rollingBaseline(labels, 10);
    expect(all.runs.map((r) => r.id)).toEqual([...weekday].reverse());
    expect(all.enough).toBe(true);
    expect(all.runs.every((r) => r.tags.profile === 'weekday' && Object.keys(r.tags).length === 1)).toBe(
      true,
    );
    expect(all.runs[0]?.histograms.run.ttft_ms).toBeDefined();
    // The last N only, and only runs before the one being judged.
    expect(h.rollingBaseline(labels, 2).runs.map((r) => r.id)).toEqual(weekday.slice(-2).reverse());
    const before = h.rollingBaseline(labels, 10, { before: weekday[4] as number });
    expect(before.runs.map((r) => r.id)).toEqual(weekday.slice(0, 4).reverse());
    expect(before.runs.length).toBeLessThan(ROLLING_MIN_RUNS);
    expect(before.enough).toBe(false);
    // Weekend runs never see weekday ones.
    expect(h.rollingBaseline({ ...labels, tags: { profile: 'weekend' } }, 10).runs).toHaveLength(1);
    h.close();
  });

  it('names baselines and resolves them to the run with its distributions', () => {
    const h = openHistory(path);
    const a = h.add(entry()).id;
    const b = h.add(entry()).id;
    h.setBaseline('release-1.4', a);
    h.setBaseline('release-1.4', b);
    h.setBaseline('nightly', a);
    expect(() => h.setBaseline('x', 99)).toThrow(/no run #99/);
    expect(h.resolveBaseline('release-1.4')?.id).toBe(b);
    expect(h.resolveBaseline('release-1.4')?.histograms.windows).toHaveLength(2);
    expect(h.resolveBaseline('missing')).toBeUndefined();
    expect(h.baselines().map((x) => [x.name, x.run])).toEqual([
      ['nightly', a],
      ['release-1.4', b],
    ]);
    h.close();
  });

  it('lets one process in at a time: a live owner makes others wait, then fail as busy', () => {
    const h = openHistory(path);
    expect(() => openHistory(path, { waitMs: 100 })).toThrow(HistoryBusyError);
    h.close();
    openHistory(path, { waitMs: 100 }).close();
  });

  it("breaks a dead owner's locks, the SQLite layer's included", () => {
    openHistory(path).close();
    // A process that has exited: its pid is free (reuse within the test is improbable).
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    writeFileSync(`${path}.owner`, `${dead.stdout} ${hostname()} ${Date.now()}\n`);
    mkdirSync(`${path}.lock`);
    const h = openHistory(path, { waitMs: 200 });
    expect(h.list()).toEqual([]);
    h.add(entry());
    h.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(existsSync(`${path}.owner`)).toBe(false);
  });
});
