import { describe, expect, it } from 'vitest';
import type { QualityRow } from '../metrics/index.js';
import { analyseQuality, consistencyOf, fallsAgainst, qualityStatsOf, qualityValue } from './quality.js';
import { parseThreshold } from './threshold-expr.js';

let nextId = 0;
function row(at: number, q: Partial<QualityRow['q']> & { out?: number } = {}): QualityRow {
  const { out, ...sample } = q;
  const r: QualityRow = { id: nextId++, scheduled: at, end: at + 100, q: { key: 1, ...sample } };
  if (out !== undefined) r.outputTokens = out;
  return r;
}

describe('consistency', () => {
  it('is the mean pairwise ROUGE-L of answers to the same prompt', () => {
    const rows = [
      row(0, { key: 1, text: 'a b c d' }),
      row(0, { key: 1, text: 'a b c d' }),
      row(0, { key: 1, text: 'a b x y' }),
      // Answered once: no pair.
      row(0, { key: 2, text: 'anything' }),
      // Without its text: left out.
      row(0, { key: 1 }),
    ];
    // Pairs: (1,2) = 1, (1,3) = 0.5, (2,3) = 0.5 → mean 2/3.
    expect(consistencyOf(rows)).toEqual({ consistency: 0.6667, pairs: 3 });
    expect(consistencyOf([row(0, { key: 5, text: 'x' })])).toEqual({ consistency: null, pairs: 0 });
  });
});

describe('qualityStatsOf', () => {
  it('counts refusals and truncations, and means the scores and output tokens', () => {
    const stats = qualityStatsOf([
      row(0, { f1: 1, rougeL: 1, finish: 'stop', out: 30 }),
      row(0, { f1: 0.5, rougeL: 0.4, finish: 'length', out: 10 }),
      row(0, { f1: 0, rougeL: 0, refusal: true, finish: 'stop', out: 11 }),
      row(0, { finish: 'stop', out: 9 }),
    ]);
    expect(stats).toMatchObject({
      samples: 4,
      with_reference: 3,
      similarity: 0.4667,
      rouge_l: 0.4667,
      f1: 0.5,
      refusal_rate: 0.25,
      truncation_rate: 0.25,
      output_tokens_mean: 15,
    });
    expect(qualityStatsOf([row(0, { f1: 0.2, rougeL: 0.9 })], 'f1').similarity).toBe(0.2);
  });

  it('takes cosine and judge scores by record id', () => {
    const a = row(0, { rougeL: 1 });
    const b = row(0, { rougeL: 0 });
    const stats = qualityStatsOf([a, b], 'cosine', {
      cosine: new Map([
        [a.id, 0.9],
        [b.id, 0.5],
      ]),
      judge: new Map([[a.id, 4]]),
    });
    expect(stats).toMatchObject({ similarity: 0.7, cosine: 0.7, judge_score: 4, judged: 1, rouge_l: 0.5 });
  });
});

describe('fallsAgainst', () => {
  const base = qualityStatsOf([row(0, { rougeL: 0.9 })]);
  it('names each measure that fell by more than the drop', () => {
    expect(fallsAgainst(qualityStatsOf([row(0, { rougeL: 0.85 })]), base, 0.1)).toEqual([]);
    expect(fallsAgainst(qualityStatsOf([row(0, { rougeL: 0.7 })]), base, 0.1)).toEqual([
      'similarity 0.7 vs 0.9',
    ]);
    const refused = qualityStatsOf([row(0, { rougeL: 0.9, refusal: true, finish: 'length' })]);
    expect(fallsAgainst(refused, base, 0.1)).toEqual(['refusal rate 1 vs 0', 'truncation rate 1 vs 0']);
  });
});

describe('analyseQuality', () => {
  const spans = [
    { name: 'light', startMs: 0, endMs: 2000, target: 2 },
    { name: 'medium', startMs: 2000, endMs: 4000, target: 10 },
    { name: 'heavy', startMs: 4000, endMs: 6000, target: 50 },
  ];
  const stage = (from: number, n: number, q: Partial<QualityRow['q']> & { out?: number }) =>
    Array.from({ length: n }, (_, i) => row(from + i * 10, q));

  it('names the first stage where quality fell, against the lightest, with length drift', () => {
    const rows = [
      ...stage(0, 10, { rougeL: 0.95, f1: 0.95, finish: 'stop', out: 40 }),
      ...stage(2000, 10, { rougeL: 0.9, f1: 0.9, finish: 'stop', out: 40 }),
      ...stage(4000, 5, { rougeL: 0.5, f1: 0.5, finish: 'length', out: 20 }),
      ...stage(4100, 5, { rougeL: 0.95, f1: 0.95, finish: 'stop', out: 20 }),
    ];
    const q = analyseQuality(rows, spans, 1000);
    expect(q.stages?.map((s) => [s.name, s.similarity, s.falls, s.length_ratio])).toEqual([
      ['light', 0.95, false, 1],
      ['medium', 0.9, false, 1],
      ['heavy', 0.725, true, 0.5],
    ]);
    expect(q.stages?.[2]?.truncation_rate).toBe(0.5);
    expect(q.verdict).toMatchObject({
      falls: true,
      baseline: 'light',
      starts_at: { stage: 'heavy', target: 50, at_s: 4 },
    });
    expect(q.verdict.note).toContain('heavy');
    expect(q.windows.map((w) => w.start_s)).toEqual([0, 2, 4]);
    expect(q.windows[2]).toMatchObject({ samples: 10, truncation_rate: 0.5 });
  });

  it('holds when no stage falls more than the drop, and skips stages with too few samples', () => {
    const rows = [
      ...stage(0, 10, { rougeL: 0.95 }),
      ...stage(2000, 10, { rougeL: 0.9 }),
      ...stage(4000, 2, { rougeL: 0.1 }),
    ];
    const q = analyseQuality(rows, spans, 1000);
    expect(q.verdict).toMatchObject({ falls: false, baseline: 'light' });
    expect(q.stages?.[2]).toMatchObject({ samples: 2, falls: false });
  });

  it('takes the lowest target as the baseline, not the first stage', () => {
    const down = [
      { name: 'busy', startMs: 0, endMs: 1000, target: 50 },
      { name: 'calm', startMs: 1000, endMs: 2000, target: 1 },
    ];
    const rows = [...stage(0, 6, { rougeL: 0.4 }), ...stage(1000, 6, { rougeL: 0.9 })];
    const q = analyseQuality(rows, down, 1000);
    expect(q.verdict).toMatchObject({ falls: true, baseline: 'calm', starts_at: { stage: 'busy' } });
  });

  it('has no verdict without stages, and feeds the quality.* thresholds', () => {
    const q = analyseQuality(stage(0, 4, { rougeL: 0.5, refusal: true }), [], 1000);
    expect(q.verdict.falls).toBe(false);
    expect(q.stages).toBeUndefined();
    expect(qualityValue(q, 'quality.similarity')).toBe(0.5);
    expect(qualityValue(q, 'quality.refusal_rate')).toBe(1);
    expect(qualityValue(q, 'quality.cosine')).toBeUndefined();
    expect(qualityValue(analyseQuality([], [], 1000), 'quality.similarity')).toBeUndefined();
    expect(parseThreshold('quality.similarity', '> 0.8')).toMatchObject({
      kind: 'rate',
      op: '>',
      value: 0.8,
    });
    expect(() => parseThreshold('quality.similarity', 'p99 > 0.8')).toThrow(/takes no statistic/);
  });
});
