/**
 * @module analysis/quality
 * Answer quality under load (summary.json `quality`), from the run's quality
 * samples (metrics/quality-tally) and any scores given after the run
 * (embeddings' cosine, a judge's grade): similarity to the reference,
 * consistency across identical prompts, length drift, refusal and truncation
 * rates, by stage and window, and a verdict on whether quality falls as load
 * rises and in which stage it starts. Pure: the same samples, stages and
 * scores give the same summary, live or rebuilt from records.jsonl.
 */
import { type QualityRow, rougeL } from '../metrics/index.js';

/** Which score `similarity` (and the `quality.similarity` threshold) is. */
export type QualityMeasure = 'rouge_l' | 'f1' | 'cosine';

/** The test's `quality:` options that shape the analysis. */
export interface QualityOptions {
  measure?: QualityMeasure;
  /** A stage's quality falls when similarity drops, or refusal or truncation rates rise, by more than this (absolute, 0-1). */
  drop?: number;
  /** Samples a stage needs to be judged. */
  min_samples?: number;
  /** The judge's best grade: a judge score falls by `drop × scale`. */
  judge_scale?: number;
}

/** Scores given after the run, by record id. */
export interface QualityScores {
  cosine?: ReadonlyMap<number, number>;
  judge?: ReadonlyMap<number, number>;
}

/** How the after-run scoring went (failures are reported, never fatal). */
export interface QualityScoring {
  embeddings?: { scored: number; failed: number; error?: string };
  judge?: { sampled: number; graded: number; failed: number; error?: string };
}

export interface QualityStats {
  /** Answers with a quality sample. */
  samples: number;
  /** Of which compared with a reference. */
  with_reference: number;
  /** Mean of the chosen measure (see `measure`); null without references (or scores). */
  similarity: number | null;
  f1: number | null;
  rouge_l: number | null;
  cosine?: number | null;
  judge_score?: number | null;
  judged?: number;
  refusal_rate: number;
  /** Answers cut by the token limit (`finish_reason: length`). */
  truncation_rate: number;
  output_tokens_mean: number | null;
  /** Mean pairwise ROUGE-L of answers to identical prompts; null when no prompt was answered twice. */
  consistency: number | null;
  consistency_pairs: number;
}

export interface QualityStage extends QualityStats {
  name: string;
  start: number;
  end: number;
  target?: number;
  /** Mean output tokens over the baseline stage's (response-length drift); null without both. */
  length_ratio: number | null;
  /** Quality fell here against the baseline (see `why`). */
  falls: boolean;
  why?: string[];
}

export interface QualityWindow {
  start_s: number;
  samples: number;
  similarity: number | null;
  refusal_rate: number;
  truncation_rate: number;
}

export interface QualityVerdict {
  /** Quality fell in some stage against the baseline. */
  falls: boolean;
  /** The lightest stage with enough samples (lowest target, else the first). */
  baseline?: string;
  /** The first stage (in time) where quality fell, and its load. */
  starts_at?: { stage: string; target?: number; at_s: number };
  note: string;
}

export interface QualitySummary extends QualityStats {
  measure: QualityMeasure;
  stages?: QualityStage[];
  windows: QualityWindow[];
  verdict: QualityVerdict;
  scoring?: QualityScoring;
}

/** A stage as the aggregator knows it (run-clock ms). */
export interface QualityStageSpan {
  name: string;
  startMs: number;
  endMs: number;
  target?: number;
  warmup?: boolean;
}

const MAX_GROUP_ANSWERS = 8;
const MAX_PAIRS = 2000;

function round4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return round4(sum / values.length);
}

/** Pairwise ROUGE-L of answers to the same prompt (same `key`), at most MAX_GROUP_ANSWERS a prompt. */
export function consistencyOf(rows: readonly QualityRow[]): { consistency: number | null; pairs: number } {
  const groups = new Map<number, string[]>();
  for (const row of rows) {
    if (row.q.text === undefined) continue;
    let g = groups.get(row.q.key);
    if (g === undefined) {
      g = [];
      groups.set(row.q.key, g);
    }
    if (g.length < MAX_GROUP_ANSWERS) g.push(row.q.text);
  }
  const scores: number[] = [];
  for (const answers of groups.values()) {
    for (let i = 0; i < answers.length && scores.length < MAX_PAIRS; i++) {
      for (let j = i + 1; j < answers.length && scores.length < MAX_PAIRS; j++) {
        scores.push(rougeL(answers[i] as string, answers[j] as string));
      }
    }
  }
  return { consistency: mean(scores), pairs: scores.length };
}

function measureOf(row: QualityRow, measure: QualityMeasure, scores: QualityScores): number | undefined {
  if (measure === 'cosine') return scores.cosine?.get(row.id);
  return measure === 'f1' ? row.q.f1 : row.q.rougeL;
}

/** Statistics of a set of quality rows. */
export function qualityStatsOf(
  rows: readonly QualityRow[],
  measure: QualityMeasure = 'rouge_l',
  scores: QualityScores = {},
): QualityStats {
  const f1: number[] = [];
  const rl: number[] = [];
  const sim: number[] = [];
  const cos: number[] = [];
  const judge: number[] = [];
  const out: number[] = [];
  let refusals = 0;
  let truncated = 0;
  for (const row of rows) {
    if (row.q.f1 !== undefined) f1.push(row.q.f1);
    if (row.q.rougeL !== undefined) rl.push(row.q.rougeL);
    const s = measureOf(row, measure, scores);
    if (s !== undefined) sim.push(s);
    const c = scores.cosine?.get(row.id);
    if (c !== undefined) cos.push(c);
    const j = scores.judge?.get(row.id);
    if (j !== undefined) judge.push(j);
    if (row.outputTokens !== undefined) out.push(row.outputTokens);
    if (row.q.refusal === true) refusals++;
    if (row.q.finish === 'length') truncated++;
  }
  const n = rows.length;
  const { consistency, pairs } = consistencyOf(rows);
  const stats: QualityStats = {
    samples: n,
    with_reference: rl.length,
    similarity: mean(sim),
    f1: mean(f1),
    rouge_l: mean(rl),
    refusal_rate: n === 0 ? 0 : round4(refusals / n),
    truncation_rate: n === 0 ? 0 : round4(truncated / n),
    output_tokens_mean: mean(out),
    consistency,
    consistency_pairs: pairs,
  };
  if (scores.cosine !== undefined) stats.cosine = mean(cos);
  if (scores.judge !== undefined) {
    stats.judge_score = mean(judge);
    stats.judged = judge.length;
  }
  return stats;
}

/** Why `stage` fell against `base`, or an empty list. */
export function fallsAgainst(
  stage: QualityStats,
  base: QualityStats,
  drop: number,
  judgeScale = 1,
): string[] {
  const why: string[] = [];
  const eps = 1e-9;
  if (
    stage.similarity !== null &&
    base.similarity !== null &&
    base.similarity - stage.similarity > drop + eps
  ) {
    why.push(`similarity ${stage.similarity} vs ${base.similarity}`);
  }
  if (stage.refusal_rate - base.refusal_rate > drop + eps) {
    why.push(`refusal rate ${stage.refusal_rate} vs ${base.refusal_rate}`);
  }
  if (stage.truncation_rate - base.truncation_rate > drop + eps) {
    why.push(`truncation rate ${stage.truncation_rate} vs ${base.truncation_rate}`);
  }
  const js = stage.judge_score;
  const jb = base.judge_score;
  if (js != null && jb != null && jb - js > drop * judgeScale + eps) {
    why.push(`judge score ${js} vs ${jb}`);
  }
  return why;
}

function stageOf(spans: readonly QualityStageSpan[], atMs: number): number {
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i] as QualityStageSpan;
    if (atMs >= s.startMs && atMs < s.endMs) return i;
  }
  return -1;
}

function windowsOf(
  rows: readonly QualityRow[],
  windowMs: number,
  measure: QualityMeasure,
  scores: QualityScores,
): QualityWindow[] {
  const byWindow = new Map<number, QualityRow[]>();
  for (const row of rows) {
    const w = Math.floor(row.end / windowMs);
    let list = byWindow.get(w);
    if (list === undefined) {
      list = [];
      byWindow.set(w, list);
    }
    list.push(row);
  }
  return [...byWindow.keys()]
    .sort((a, b) => a - b)
    .map((w) => {
      const list = byWindow.get(w) as QualityRow[];
      let refusals = 0;
      let truncated = 0;
      const sim: number[] = [];
      for (const row of list) {
        if (row.q.refusal === true) refusals++;
        if (row.q.finish === 'length') truncated++;
        const s = measureOf(row, measure, scores);
        if (s !== undefined) sim.push(s);
      }
      return {
        start_s: Math.round(w * windowMs) / 1000,
        samples: list.length,
        similarity: mean(sim),
        refusal_rate: round4(refusals / list.length),
        truncation_rate: round4(truncated / list.length),
      };
    });
}

/**
 * The quality section of summary.json. Each row belongs to the stage its request was scheduled
 * in (the load that made it), and to the window its answer ended in.
 */
export function analyseQuality(
  rows: readonly QualityRow[],
  spans: readonly QualityStageSpan[],
  windowMs: number,
  options: QualityOptions = {},
  scores: QualityScores = {},
): QualitySummary {
  const measure = options.measure ?? 'rouge_l';
  const drop = options.drop ?? 0.1;
  const minSamples = options.min_samples ?? 5;
  const total = qualityStatsOf(rows, measure, scores);
  const summary: QualitySummary = {
    measure,
    ...total,
    windows: windowsOf(rows, windowMs, measure, scores),
    verdict: { falls: false, note: 'no stages: quality is judged by stage' },
  };
  const measured = spans.filter((s) => s.warmup !== true);
  if (measured.length === 0) return summary;
  const byStage: QualityRow[][] = measured.map(() => []);
  for (const row of rows) {
    const i = stageOf(measured, row.scheduled);
    if (i >= 0) (byStage[i] as QualityRow[]).push(row);
  }
  const stats = byStage.map((list) => qualityStatsOf(list, measure, scores));
  const judged = stats.map((s, i) => ({ s, i })).filter(({ s }) => s.samples >= minSamples);
  const baseline = judged.reduce<{ s: QualityStats; i: number } | undefined>((best, cur) => {
    if (best === undefined) return cur;
    const bt = measured[best.i]?.target;
    const ct = measured[cur.i]?.target;
    return bt !== undefined && ct !== undefined && ct < bt ? cur : best;
  }, undefined);
  const stages: QualityStage[] = measured.map((span, i) => {
    const s = stats[i] as QualityStats;
    const base = baseline?.s;
    const ratio =
      base?.output_tokens_mean != null && s.output_tokens_mean !== null && base.output_tokens_mean > 0
        ? round4(s.output_tokens_mean / base.output_tokens_mean)
        : null;
    const why =
      base !== undefined && i !== baseline?.i && s.samples >= minSamples
        ? fallsAgainst(s, base, drop, options.judge_scale ?? 1)
        : [];
    const stage: QualityStage = {
      name: span.name,
      start: Math.round(span.startMs) / 1000,
      end: Math.round(span.endMs) / 1000,
      ...s,
      length_ratio: ratio,
      falls: why.length > 0,
    };
    if (span.target !== undefined) stage.target = span.target;
    if (why.length > 0) stage.why = why;
    return stage;
  });
  summary.stages = stages;
  if (baseline === undefined) {
    summary.verdict = { falls: false, note: `no stage has ${minSamples} quality samples` };
    return summary;
  }
  const baseName = measured[baseline.i]?.name as string;
  const first = stages.find((s) => s.falls);
  if (first === undefined) {
    summary.verdict = {
      falls: false,
      baseline: baseName,
      note: `quality held: no stage fell more than ${drop} below stage "${baseName}"`,
    };
    return summary;
  }
  const startsAt: QualityVerdict['starts_at'] = { stage: first.name, at_s: first.start };
  if (first.target !== undefined) startsAt.target = first.target;
  summary.verdict = {
    falls: true,
    baseline: baseName,
    starts_at: startsAt,
    note: `quality fell from stage "${first.name}"${first.target === undefined ? '' : ` (load ${first.target})`}: ${(first.why ?? []).join('; ')}`,
  };
  return summary;
}

/** Threshold metrics on the quality section (`quality.similarity`, …): a value of the run's total. */
export const QUALITY_THRESHOLD_NAMES = [
  'quality.similarity',
  'quality.f1',
  'quality.rouge_l',
  'quality.cosine',
  'quality.judge_score',
  'quality.refusal_rate',
  'quality.truncation_rate',
  'quality.consistency',
] as const;

/** The value of a quality threshold metric, or undefined when it was not measured. */
export function qualityValue(q: QualitySummary | undefined, name: string): number | undefined {
  if (q === undefined || q.samples === 0) return undefined;
  const field = name.slice('quality.'.length) as keyof QualityStats;
  const v = q[field];
  return typeof v === 'number' ? v : undefined;
}
