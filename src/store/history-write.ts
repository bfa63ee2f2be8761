/**
 * @module store/history-write
 * Writing to an open history database: `addRun(db, entry)` records a run (its
 * row, its tags, its whole-run and per-window histograms) in one transaction,
 * or leaves an already recorded `uid` as it is; `addPredictChecks(db, check)`
 * upserts a release's predict-check figures. The caller holds the file's lock.
 * Why apart: the insert paths are the bulk of the SQL and change apart from the queries.
 */
import type { Database } from 'node-sqlite3-wasm';
import { figuresOf, type HistoryEntry, type PredictCheckEntry, tagsKey } from './history-model.js';
import { ensurePredictTable, type Row, transaction, WHOLE_RUN } from './history-schema.js';

/** Records `entry`; `{ id, added: false }` if a run with its `uid` is already there. */
export function addRun(db: Database, entry: HistoryEntry): { id: number; added: boolean } {
  const seen = (db.get('SELECT id FROM runs WHERE uid = ?', entry.uid) as Row | null) ?? undefined;
  if (seen !== undefined) return { id: Number(seen.id), added: false };
  return transaction(db, () => {
    const { lastInsertRowid } = db.run(
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
      db.run('INSERT INTO run_tags (run_id, key, value) VALUES (?, ?, ?)', [id, key, value]);
    }
    const insert = db.prepare(
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

/** One row per traffic level, endpoint and quantile; a release checked again is replaced in place. */
export function addPredictChecks(db: Database, check: PredictCheckEntry): void {
  ensurePredictTable(db);
  transaction(db, () => {
    const at = new Date().toISOString();
    for (const r of check.rows) {
      db.run(
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
