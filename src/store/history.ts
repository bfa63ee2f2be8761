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
 * Here the handle and its queries; history-schema (file layout), history-model
 * (shapes) and history-write (inserts) beside it.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Database } from 'node-sqlite3-wasm';
import type { Summary } from '../report/summary.js';
import { lockHistory } from './history-lock.js';
import {
  type HistoryEntry,
  type HistoryQuery,
  type HistoryRow,
  type HistoryRun,
  type PredictCheckEntry,
  type PredictCheckRow,
  ROLLING_DEFAULT_RUNS,
  ROLLING_MIN_RUNS,
  ROW_COLUMNS,
  type RollingBaseline,
  type RunHistograms,
  rowOf,
  str,
  tagsKey,
} from './history-model.js';
import { ensurePredictTable, openDatabase, type Row, type SqlValue, WHOLE_RUN } from './history-schema.js';
import { addPredictChecks, addRun } from './history-write.js';

export interface OpenOptions {
  /** How long to wait for another process that holds the history (default 5 s). */
  waitMs?: number;
}

/** `.tokenstorm/history.db` under `cwd`. */
export function defaultHistoryPath(cwd: string = process.cwd()): string {
  return resolve(cwd, '.tokenstorm', 'history.db');
}

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
    try {
      return new History(file, openDatabase(file), release);
    } catch (err) {
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
    return addRun(this.#db, entry);
  }

  /** Runs matching `query`, newest first. */
  list(query: HistoryQuery = {}): HistoryRow[] {
    return this.#select(ROW_COLUMNS, query).map(rowOf);
  }

  /** Runs matching `query` with their summaries (no histograms), newest first. */
  listWithSummaries(query: HistoryQuery = {}): (HistoryRow & { summary: Summary })[] {
    return this.#select(`${ROW_COLUMNS}, summary`, query).map((row) => ({
      ...rowOf(row),
      summary: JSON.parse(str(row, 'summary')) as Summary,
    }));
  }

  #select(columns: string, query: HistoryQuery): Row[] {
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
    const sql = `SELECT ${columns} FROM runs ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT ?`;
    return this.#all(sql, values);
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
    addPredictChecks(this.#db, check);
  }

  /** The stored predict-check errors of a test and target, releases in the order they were first checked. */
  predictChecks(test: string, target: string): PredictCheckRow[] {
    ensurePredictTable(this.#db);
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

  #get(sql: string, values?: SqlValue | SqlValue[]): Row | undefined {
    return (this.#db.get(sql, values) as Row | null) ?? undefined;
  }

  #all(sql: string, values?: SqlValue | SqlValue[]): Row[] {
    return this.#db.all(sql, values) as Row[];
  }
}

/** Opens the history at `path` (see {@link History.open}). */
export function openHistory(path: string, options: OpenOptions = {}): History {
  return History.open(path, options);
}
