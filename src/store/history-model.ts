/**
 * @module store/history-model
 * What the run history holds, as TypeScript sees it: the entry to record
 * (HistoryEntry), the rows read back (HistoryRow, HistoryRun), the query and
 * baseline shapes, and the mapping between them and the `runs` table
 * (`tagsKey`, `figuresOf`, `rowOf`, ROW_COLUMNS). Pure: no SQLite handle.
 * Why apart: git-labels, run-dir and the CLI need the shapes without the database.
 */
import type { Summary } from '../report/summary.js';
import type { Row } from './history-schema.js';

/** Fewest runs a rolling baseline needs before any verdict is given. */
export const ROLLING_MIN_RUNS = 5;
/** Runs in a rolling baseline unless the caller asks for another number. */
export const ROLLING_DEFAULT_RUNS = 20;

export interface GitLabels {
  commit: string;
  /** Absent on a detached HEAD. */
  branch?: string;
  /** Tracked files changed since the commit. */
  dirty: boolean;
}

/** What a run is known by besides its test name and target. */
export interface RunLabels {
  /** The test's `tags:` and `--tag k=v`, the latter winning. */
  tags: Record<string, string>;
  git?: GitLabels;
}

/** Per-metric encoded histograms (`MetricHistogram.encode()`). */
export interface RunHistograms {
  run: Record<string, string>;
  windows: { start_s: number; metric: string; histogram: string }[];
}

/** A run to record. */
export interface HistoryEntry {
  /** Identity of the run across machines: the same run imported twice is one row. */
  uid: string;
  test: string;
  target: string;
  labels: RunLabels;
  startedAt: string;
  durationS: number;
  passed: boolean;
  complete: boolean;
  runDir?: string;
  summary: Summary;
  histograms: RunHistograms;
}

/** A recorded run, as `history list` shows it (no summary or histograms). */
export interface HistoryRow {
  id: number;
  uid: string;
  test: string;
  target: string;
  tags: Record<string, string>;
  git?: GitLabels;
  startedAt: string;
  recordedAt: string;
  durationS: number;
  passed: boolean;
  complete: boolean;
  runDir?: string;
  /** Key figures for a listing. */
  figures: {
    requests: number;
    errorRate: number;
    ttftP50: number;
    ttftP99: number;
    e2eP99: number;
    outputTokensPerS: number;
    /** The test's `compare:` verdict (`regression`, …), or `collecting k/N`; absent without one. */
    compare?: string;
  };
}

/** A recorded run with its summary and distributions. */
export interface HistoryRun extends HistoryRow {
  summary: Summary;
  histograms: RunHistograms;
}

export interface HistoryQuery {
  test?: string;
  target?: string;
  /** Runs carrying each of these tags (they may carry more). */
  tags?: Record<string, string>;
  /** Newest first; default 50. */
  limit?: number;
}

export interface RollingBaseline {
  /** Newest first. */
  runs: HistoryRun[];
  /** `runs.length >= ROLLING_MIN_RUNS`: without it no verdict may be given. */
  enough: boolean;
}

/** One predicted-vs-observed figure of a release. */
export interface PredictCheckRow {
  release: string;
  level: string;
  endpoint: string;
  quantile: string;
  rps: number;
  predicted: number;
  observed: number;
  /** (predicted − observed) ÷ observed. */
  error: number;
}

/** A release's predict-check, to record. */
export interface PredictCheckEntry {
  test: string;
  target: string;
  release: string;
  runDir?: string;
  rows: Omit<PredictCheckRow, 'release'>[];
}

/** Tags as one comparable string: keys sorted. */
export function tagsKey(tags: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

function compareFigure(summary: Summary): string | undefined {
  const c = summary.compare;
  if (c === undefined) return undefined;
  if (c.status === 'collecting') return `collecting ${c.collecting?.have ?? 0}/${c.collecting?.need ?? 0}`;
  return c.status === 'judged' ? c.verdict : 'unavailable';
}

/** Key figures of a run for a listing, kept in `runs.figures`. */
export function figuresOf(summary: Summary): HistoryRow['figures'] {
  const compare = compareFigure(summary);
  return {
    requests: summary.counts?.requests ?? 0,
    errorRate: summary.rates?.error_rate ?? 0,
    ttftP50: summary.metrics?.ttft_ms?.p50 ?? 0,
    ttftP99: summary.metrics?.ttft_ms?.p99 ?? 0,
    e2eP99: summary.metrics?.e2e_ms?.p99 ?? 0,
    outputTokensPerS: summary.rates?.output_tokens_per_s ?? 0,
    ...(compare === undefined ? {} : { compare }),
  };
}

/** A column as text (`''` for NULL). */
export function str(row: Row, key: string): string {
  return String(row[key] ?? '');
}

/** A `runs` row (ROW_COLUMNS) as a {@link HistoryRow}. */
export function rowOf(row: Row): HistoryRow {
  const out: HistoryRow = {
    id: Number(row.id),
    uid: str(row, 'uid'),
    test: str(row, 'test'),
    target: str(row, 'target'),
    tags: JSON.parse(str(row, 'tags')) as Record<string, string>,
    startedAt: str(row, 'started_at'),
    recordedAt: str(row, 'recorded_at'),
    durationS: Number(row.duration_s),
    passed: Number(row.passed) === 1,
    complete: Number(row.complete) === 1,
    figures: JSON.parse(str(row, 'figures')) as HistoryRow['figures'],
  };
  if (row.git_commit !== null && row.git_commit !== undefined) {
    out.git = { commit: str(row, 'git_commit'), dirty: Number(row.git_dirty) === 1 };
    if (row.git_branch !== null && row.git_branch !== undefined) out.git.branch = str(row, 'git_branch');
  }
  if (row.run_dir !== null && row.run_dir !== undefined) out.runDir = str(row, 'run_dir');
  return out;
}

/** The `runs` columns {@link rowOf} reads. */
export const ROW_COLUMNS =
  'id, uid, test, target, tags, git_commit, git_branch, git_dirty, started_at, recorded_at, duration_s, passed, complete, run_dir, figures';
