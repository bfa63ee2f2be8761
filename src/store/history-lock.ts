/**
 * @module store/history-lock
 * One process at a time in the history database: a lock file `<db>.owner`
 * created exclusively, holding `pid host time`. A lock whose process is gone
 * (kill -9) or older than {@link STALE_MS} is broken, together with the
 * `<db>.lock` directory node-sqlite3-wasm's file layer leaves behind after a
 * kill (it would otherwise answer "database is locked" forever); SQLite then
 * rolls back the hot journal on the next open. Why our own lock: that layer's
 * lock records no owner, so a dead one cannot be told from a live one.
 */

import { linkSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/** A lock older than this is broken whatever its process: history work holds it for well under a second. */
export const STALE_MS = 120_000;
const POLL_MS = 25;

export class HistoryBusyError extends Error {
  constructor(path: string, owner: string) {
    super(`${path}: in use by another tokenstorm process (${owner.trim() || 'unknown'})`);
    this.name = 'HistoryBusyError';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(owner: string, now: number): boolean {
  const [pid, host, at] = owner.trim().split(' ');
  const since = Number(at);
  // The owner file is created whole (a link), so an unreadable one was not written by us.
  if (!Number.isFinite(since)) return true;
  if (now - since > STALE_MS) return true;
  return host === hostname() && !alive(Number(pid));
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function readOwner(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Breaks a stale lock if it still holds `seen`; a lock taken meanwhile by someone else is put back. */
function breakStale(ownerPath: string, dbPath: string, seen: string): void {
  const aside = `${ownerPath}.${process.pid}.broken`;
  try {
    renameSync(ownerPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  if (readOwner(aside) !== seen) {
    // Not the stale lock we judged: give it back (a link fails if a third process took the name).
    try {
      linkSync(aside, ownerPath);
    } catch {
      // Taken again meanwhile: that owner wins.
    }
    unlinkSync(aside);
    return;
  }
  // SQLite's file layer lock of the dead owner: nobody else can hold it while the owner file excludes them.
  try {
    rmdirSync(`${dbPath}.lock`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  unlinkSync(aside);
}

/** Creates the owner file with its content in one step (a link), so no reader sees it empty. */
function tryCreate(ownerPath: string): boolean {
  const draft = `${ownerPath}.${process.pid}.new`;
  writeFileSync(draft, `${process.pid} ${hostname()} ${Date.now()}\n`);
  try {
    linkSync(draft, ownerPath);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    unlinkSync(draft);
  }
}

/**
 * Takes the lock of the database at `dbPath`, waiting up to `waitMs` for a
 * live owner; returns its release. Throws {@link HistoryBusyError} after that.
 */
export function lockHistory(dbPath: string, waitMs: number): () => void {
  const ownerPath = `${dbPath}.owner`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (tryCreate(ownerPath)) {
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(ownerPath);
        } catch {
          // Broken as stale by another process: nothing left to release.
        }
      };
    }
    const owner = readOwner(ownerPath);
    if (owner === undefined) continue;
    if (isStale(owner, Date.now())) {
      breakStale(ownerPath, dbPath, owner);
      continue;
    }
    if (Date.now() >= deadline) throw new HistoryBusyError(dbPath, owner);
    sleepSync(POLL_MS);
  }
}
