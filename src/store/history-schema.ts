/**
 * @module store/history-schema
 * The history file's SQLite layout and how it is opened: `openDatabase(file)`
 * loads node-sqlite3-wasm, sets WAL + exclusive locking + full fsync, and
 * migrates the schema to SCHEMA_VERSION (refusing a newer one); on failure
 * it closes what it opened and throws (the caller releases its lock).
 * `transaction(db, body)` runs `body` in BEGIN IMMEDIATE … COMMIT.
 * Why apart: the file format lives in one place, so a change to it is seen.
 */
import { createRequire } from 'node:module';
import type { Database, SQLiteValue } from 'node-sqlite3-wasm';

export type Row = Record<string, SQLiteValue>;
export type SqlValue = SQLiteValue;

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

/** `histograms.at_ms` of the whole run's histogram. */
export const WHOLE_RUN = -1;

/** Opens the SQLite file at `file` (already locked by the caller) at the current schema. */
export function openDatabase(file: string): Database {
  let db: Database | undefined;
  try {
    // Loaded on first use: a run without history never compiles the WebAssembly.
    const sqlite = createRequire(import.meta.url)('node-sqlite3-wasm') as typeof import('node-sqlite3-wasm');
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
      throw new Error(`${file}: history schema ${version} is newer than this tokenstorm (${SCHEMA_VERSION})`);
    }
    if (version < SCHEMA_VERSION) {
      db.exec(`BEGIN; ${SCHEMA} PRAGMA user_version = ${SCHEMA_VERSION}; COMMIT;`);
    }
    return db;
  } catch (err) {
    if (db?.inTransaction) db.exec('ROLLBACK');
    db?.close();
    throw err;
  }
}

/** Created on first use (not a schema version): histories written before it gain it untouched otherwise. */
export function ensurePredictTable(db: Database): void {
  db.exec(PREDICT_SCHEMA);
}

/** Runs `body` in one write transaction; rolls back and rethrows if it throws. */
export function transaction<T>(db: Database, body: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = body();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
}
