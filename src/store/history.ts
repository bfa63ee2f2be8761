/**
 * @module store/history
 * The run history: each run's summary, labels and encoded HDR histograms in
 * one SQLite file (node-sqlite3-wasm: nothing to compile on `npm ci`).
 * For comparisons: `openHistory(path)` (HistoryBusyError if another process
 * keeps it), then `resolveBaseline(name)`, `rollingBaseline({ test, target,
 * tags }, n, { before })` → `{ runs, enough }` (no verdict unless `enough`:
 * ROLLING_MIN_RUNS passing, complete runs with exactly these labels), and
 * `get(id)`; `close()` when done. A run's `histograms.run[metric]` and
 * `histograms.windows[]` decode with `MetricHistogram.decode`.
 * Every write is one WAL transaction with fsync, so a kill -9 keeps the last
 * committed state; why WAL and the lock: docs/design/2026-12-07-run-history.md.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Database, SQLiteValue } from 'node-sqlite3-wasm';
import type { Summary } from '../report/summary.js';
import { lockHistory } from './history-lock.js';

export { HistoryBusyError } from './history-lock.js';

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

export interface OpenOptions {
  /** How long to wait for another process that holds the history (default 5 s). */
  waitMs?: number;
}

const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  uid TEXT NOT NULL UNIQUE,
  test TEXT NOT NULL,
  target TEXT NOT NULL,
  tags TEXT NOT NULL,
  git_commit TEXT,
  git_branch TEXT,
  git_dirty INTEGER,
  started_at TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  duration_s REAL NOT NULL,
  passed INTEGER NOT NULL,
  complete INTEGER NOT NULL,
  run_dir TEXT,
  figures TEXT NOT NULL,
  summary TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_by_labels ON runs (test, target, tags, id);
CREATE TABLE IF NOT EXISTS run_tags (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE INDEX IF NOT EXISTS run_tags_by_tag ON run_tags (key, value);
CREATE TABLE IF NOT EXISTS histograms (
  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  metric TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  start_s REAL,
  encoded TEXT NOT NULL,
  PRIMARY KEY (run_id, metric, at_ms)
);
CREATE TABLE IF NOT EXISTS baselines (
  name TEXT PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs(id),
  set_at TEXT NOT NULL
);
`;
/** predict-check errors per release (tokenstorm predict-check). */
const PREDICT_SCHEMA = `
CREATE TABLE IF NOT EXISTS predict_checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  test TEXT NOT NULL,
  target TEXT NOT NULL,
  release TEXT NOT NULL,
  level TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  quantile TEXT NOT NULL,
  rps REAL NOT NULL,
  predicted REAL NOT NULL,
  observed REAL NOT NULL,
  error REAL NOT NULL,
  run_dir TEXT,
  checked_at TEXT NOT NULL,
  UNIQUE (test, target, release, level, endpoint, quantile)
);
`;
type Row = Record<string, SQLiteValue>;
type SqlValue = SQLiteValue;

/** `histograms.at_ms` of the whole run's histogram. */
const WHOLE_RUN = -1;

/** `.tokenstorm/history.db` under `cwd`. */
export function defaultHistoryPath(cwd: string = process.cwd()): string {
  return resolve(cwd, '.tokenstorm', 'history.db');
}

/** Tags as one comparable string: keys sorted. */
export function tagsKey(tags: Record<string, string>): string {
  return JSON.stringify(
    Object.fromEntries(Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
  );
}

function figuresOf(summary: Summary): HistoryRow['figures'] {
  return {
    requests: summary.counts?.requests ?? 0,
    errorRate: summary.rates?.error_rate ?? 0,
    ttftP50: summary.metrics?.ttft_ms?.p50 ?? 0,
    ttftP99: summary.metrics?.ttft_ms?.p99 ?? 0,
    e2eP99: summary.metrics?.e2e_ms?.p99 ?? 0,
    outputTokensPerS: summary.rates?.output_tokens_per_s ?? 0,
  };
}

function str(row: Row, key: string): string {
  return String(row[key] ?? '');
}

function rowOf(row: Row): HistoryRow {
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

const ROW_COLUMNS =
  'id, uid, test, target, tags, git_commit, git_branch, git_dirty, started_at, recorded_at, duration_s, passed, complete, run_dir, figures';

/** An open history; {@link History.close} releases the file for other processes. */
export class History {
  readonly path: string;
  readonly #db: Database;
  readonly #release: () => void;

  private constructor(path: string, db: Database, release: () => void) {
    this.path = path;
    this.#db = db;
    this.#release = release;
  }

  /** Opens (creating it and its directory if needed) the history at `path`. */
  static open(path: string, options: OpenOptions = {}): History {
    const file = resolve(path);
    mkdirSync(dirname(file), { recursive: true });
    const release = lockHistory(file, options.waitMs ?? 5000);
    let db: Database | undefined;
    try {
      // Loaded on first use: a run without history never compiles the WebAssembly.
      const sqlite = createRequire(import.meta.url)(
        'node-sqlite3-wasm',
      ) as typeof import('node-sqlite3-wasm');
      db = new sqlite.Database(file);
      // WAL, not the rollback journal: node-sqlite3-wasm's file layer reports its own lock as another
      // process's reserved lock, so SQLite never rolls a hot journal back after a kill (seen in
      // test/e2e/history.test.ts). A WAL is replayed up to its last commit instead; without shared
      // memory in WebAssembly, WAL needs the exclusive locking mode (our lock is exclusive anyway).
      db.exec(
        'PRAGMA locking_mode = EXCLUSIVE; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;',
      );
      const version = Number((db.get('PRAGMA user_version') as Row | null)?.user_version ?? 0);
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `${file}: history schema ${version} is newer than this tokenstorm (${SCHEMA_VERSION})`,
        );
      }
      if (version < SCHEMA_VERSION) {
        db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
      }
      return new History(file, db, release);
    } catch (err) {
      if (db?.inTransaction) db.exec('ROLLBACK');
      db?.close();
      release();
      throw err;
    }
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
    this.#release();
  }

  /**
   * Records a run in one transaction; returns its id. A run already recorded
   * (same `uid`) is left as it is: `{ id, added: false }`.
   */
  add(entry: HistoryEntry): { id: number; added: boolean } {
    const seen = this.#get('SELECT id FROM runs WHERE uid = ?', entry.uid);
    if (seen !== undefined) return { id: Number(seen.id), added: false };
    return this.#transaction(() => {
      const { lastInsertRowid } = this.#db.run(
        `INSERT INTO runs (uid, test, target, tags, git_commit, git_branch, git_dirty, started_at, recorded_at,
           duration_s, passed, complete, run_dir, figures, summary)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          entry.uid,
          entry.test,
          entry.target,
          tagsKey(entry.labels.tags),
          entry.labels.git?.commit ?? null,
          entry.labels.git?.branch ?? null,
          entry.labels.git === undefined ? null : entry.labels.git.dirty ? 1 : 0,
          entry.startedAt,
          new Date().toISOString(),
          entry.durationS,
          entry.passed ? 1 : 0,
          entry.complete ? 1 : 0,
          entry.runDir ?? null,
          JSON.stringify(figuresOf(entry.summary)),
          JSON.stringify(entry.summary),
        ],
      );
      const id = Number(lastInsertRowid);
      for (const [key, value] of Object.entries(entry.labels.tags)) {
        this.#db.run('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)', [id, key, value]);
      }
      const insert = this.#db.prepare(
        'INSERT INTO histograms (run_id, metric, at_ms, start_s, encoded) VALUES (?, ?, ?, ?, ?)',
      );
      try {
        for (const [metric, encoded] of Object.entries(entry.histograms.run)) {
          insert.run([id, metric, WHOLE_RUN, null, encoded]);
        }
        for (const w of entry.histograms.windows) {
          insert.run([id, w.metric, Math.round(w.start_s * 1000), w.start_s, w.histogram]);
        }
      } finally {
        insert.finalize();
      }
      return { id, added: true };
    });
  }

  /** Runs matching `query`, newest first. */
  list(query: HistoryQuery = {}): HistoryRow[] {
    const where: string[] = [];
    const values: SqlValue[] = [];
    if (query.test !== undefined) {
      where.push('test = ?');
      values.push(query.test);
    }
    if (query.target !== undefined) {
      where.push('target = ?');
      values.push(query.target);
    }
    for (const [key, value] of Object.entries(query.tags ?? {})) {
      where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = runs.id AND t.key = ? AND t.value = ?)');
      values.push(key, value);
    }
    values.push(query.limit ?? 50);
    const sql = `SELECT ${ROW_COLUMNS} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ?`;
    return this.#all(sql, values).map(rowOf);
  }

  /** One run with its summary and histograms. */
  get(id: number): HistoryRun | undefined {
    const row = this.#get(`SELECT ${ROW_COLUMNS}, summary FROM runs WHERE id = ?`, id);
    if (row === undefined) return undefined;
    const histograms: RunHistograms = { run: {}, windows: [] };
    const rows = this.#all(
      'SELECT metric, at_ms, start_s, encoded FROM histograms WHERE run_id = ? ORDER BY at_ms, metric',
      id,
    );
    for (const h of rows) {
      if (Number(h.at_ms) === WHOLE_RUN) histograms.run[str(h, 'metric')] = str(h, 'encoded');
      else
        histograms.windows.push({
          start_s: Number(h.start_s),
          metric: str(h, 'metric'),
          histogram: str(h, 'encoded'),
        });
    }
    return { ...rowOf(row), summary: JSON.parse(str(row, 'summary')) as Summary, histograms };
  }

  /** Names `run` as baseline `name` (replacing an earlier one); throws if there is no such run. */
  setBaseline(name: string, run: number): void {
    if (this.#get('SELECT id FROM runs WHERE id = ?', run) === undefined) {
      throw new RangeError(`no run #${run} in ${this.path}`);
    }
    this.#db.run(
      'INSERT INTO baselines (name, run_id, set_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, set_at = excluded.set_at',
      [name, run, new Date().toISOString()],
    );
  }

  /** SQLite's `PRAGMA integrity_check`: `ok` for a sound file. */
  integrity(): string {
    return this.#all('PRAGMA integrity_check')
      .map((r) => str(r, 'integrity_check'))
      .join('\n');
  }

  /** Named baselines, by name. */
  baselines(): { name: string; run: number; setAt: string }[] {
    return this.#all('SELECT name, run_id, set_at FROM baselines ORDER BY name').map((r) => ({
      name: str(r, 'name'),
      run: Number(r.run_id),
      setAt: str(r, 'set_at'),
    }));
  }

  /** The run named `name` by {@link History.setBaseline}. */
  resolveBaseline(name: string): HistoryRun | undefined {
    const row = this.#get('SELECT run_id FROM baselines WHERE name = ?', name);
    return row === undefined ? undefined : this.get(Number(row.run_id));
  }

  /**
   * The last `n` passing, complete runs of the same test and target whose tags
   * equal `labels.tags` exactly, newest first; only runs with an id below
   * `before` when given (the run being judged is not its own baseline).
   */
  rollingBaseline(
    labels: { test: string; target: string; tags: Record<string, string> },
    n: number = ROLLING_DEFAULT_RUNS,
    options: { before?: number } = {},
  ): RollingBaseline {
    const rows = this.#all(
      `SELECT id FROM runs WHERE test = ? AND target = ? AND tags = ? AND passed = 1 AND complete = 1
         AND id < ? ORDER BY id DESC LIMIT ?`,
      [labels.test, labels.target, tagsKey(labels.tags), options.before ?? Number.MAX_SAFE_INTEGER, n],
    );
    const runs = rows.map((r) => this.get(Number(r.id))).filter((r): r is HistoryRun => r !== undefined);
    return { runs, enough: runs.length >= ROLLING_MIN_RUNS };
  }

  /**
   * Records a release's predict-check errors (tokenstorm predict-check): one
   * row per traffic level, endpoint and quantile; checking a release again
   * replaces its figures and keeps its place in the order of releases.
   */
  addPredictChecks(check: PredictCheckEntry): void {
    this.#ensurePredictTable();
    this.#transaction(() => {
      const at = new Date().toISOString();
      for (const r of check.rows) {
        this.#db.run(
          `INSERT INTO predict_checks (test, target, release, level, endpoint, quantile, rps, predicted, observed,
             error, run_dir, checked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (test, target, release, level, endpoint, quantile) DO UPDATE SET rps = excluded.rps,
             predicted = excluded.predicted, observed = excluded.observed, error = excluded.error,
             run_dir = excluded.run_dir, checked_at = excluded.checked_at`,
          [
            check.test,
            check.target,
            check.release,
            r.level,
            r.endpoint,
            r.quantile,
            r.rps,
            r.predicted,
            r.observed,
            r.error,
            check.runDir ?? null,
            at,
          ],
        );
      }
    });
  }

  /** The stored predict-check errors of a test and target, releases in the order they were first checked. */
  predictChecks(test: string, target: string): PredictCheckRow[] {
    this.#ensurePredictTable();
    return this.#all(
      `SELECT p.release, p.level, p.endpoint, p.quantile, p.rps, p.predicted, p.observed, p.error
         FROM predict_checks p
         JOIN (SELECT release, MIN(id) AS first FROM predict_checks WHERE test = ? AND target = ? GROUP BY release) r
           ON r.release = p.release
        WHERE p.test = ? AND p.target = ? ORDER BY r.first, p.id`,
      [test, target, test, target],
    ).map((row) => ({
      release: str(row, 'release'),
      level: str(row, 'level'),
      endpoint: str(row, 'endpoint'),
      quantile: str(row, 'quantile'),
      rps: Number(row.rps),
      predicted: Number(row.predicted),
      observed: Number(row.observed),
      error: Number(row.error),
    }));
  }

  /** Created on first use (not a schema version): histories written before it gain it untouched otherwise. */
  #ensurePredictTable(): void {
    this.#db.exec(PREDICT_SCHEMA);
  }

  #get(sql: string, values?: SqlValue | SqlValue[]): Row | undefined {
    return (this.#db.get(sql, values) as Row | null) ?? undefined;
  }

  #all(sql: string, values?: SqlValue | SqlValue[]): Row[] {
    return this.#db.all(sql, values) as Row[];
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const out = body();
      this.#db.exec('COMMIT');
      return out;
    } catch (err) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
}

/** Opens the history at `path` (see {@link History.open}). */
export function openHistory(path: string, options: OpenOptions = {}): History {
  return History.open(path, options);
}
