/**
 * The run history end to end: a writer killed with SIGKILL mid-write leaves a
 * sound history, `tokenstorm run` records its runs with their labels and
 * distributions, a copied run directory imports as the same run, and a broken
 * history never fails a run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricHistogram } from '../../src/metrics/histogram.js';
import { openHistory } from '../../src/store/index.js';
import { ROOT, runCli, tempDir } from '../support/cli.js';
import { runTest } from '../support/run-dir.js';

const QUICKSTART = join(ROOT, 'examples', 'quickstart.yaml');
/** The quickstart for 1 s on one virtual user, quietly, into `out`; `history` are its history flags. */
const quickstart = (out: string, history: string[], env?: Record<string, string>) =>
  runTest(QUICKSTART, { out, duration: '1s', flags: ['--vus', '1', '-q', ...history], env });

const WRITER = join(ROOT, 'test', 'support', 'history-writer.mjs');
const WINDOWS = 12_000;

/** Starts a writer, lets it commit at least once, then kills it with SIGKILL at a random moment. */
async function killWriterMidWrite(db: string, prefix: string): Promise<string[]> {
  const child = spawn(process.execPath, [WRITER, db, prefix, String(WINDOWS)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const committed: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`writer committed nothing in 30 s\n${stderr}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n'))
        if (line.startsWith('committed ')) committed.push(line.slice(10));
      if (committed.length > 0) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('close', () => reject(new Error(`writer exited early\n${stderr}`)));
  });
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
  child.kill('SIGKILL');
  await exited;
  return committed;
}

describe('run history', () => {
  it('survives a writer killed with SIGKILL mid-write: sound file, every committed run whole, writable again', async () => {
    const db = join(tempDir(), 'history.db');
    const committed: string[] = [];
    let killedHolding = 0;
    for (let round = 0; round < 5; round++) {
      committed.push(...(await killWriterMidWrite(db, `w${round}`)));
      if (existsSync(`${db}.owner`)) killedHolding++;
      // The next process gets in (the dead writer's locks are broken) and finds a sound file.
      const history = openHistory(db, { waitMs: 5000 });
      try {
        expect(history.integrity()).toBe('ok');
        const rows = history.list({ limit: 100_000 });
        const uids = new Set(rows.map((r) => r.uid));
        for (const uid of committed) expect(uids.has(uid)).toBe(true);
        // No half-written run: each has all its windows (a run committed just before the kill may be unannounced).
        for (const row of rows) expect(history.get(row.id)?.histograms.windows).toHaveLength(WINDOWS);
      } finally {
        history.close();
      }
    }
    // The kills landed while the writer held the history, mid-transaction or between its steps.
    expect(killedHolding).toBeGreaterThan(0);
  }, 240_000);

  it('records each run with its tags, git labels and distributions; history add of a copied run directory matches', async () => {
    const work = tempDir();
    const db = join(work, 'history.db');
    const out = join(work, 'run');
    const test = join(work, 'tagged.yaml');
    writeFileSync(
      test,
      readFileSync(QUICKSTART, 'utf8').replace(
        'name: chat-quickstart',
        'name: chat-quickstart\ntags:\n  profile: weekday\n  build: "1"',
      ),
    );
    const run = await runTest(test, {
      out,
      duration: '2s',
      flags: ['--vus', '2', '-q', '--history', db, '--tag', 'build=2', '--tag', 'host=ci'],
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/run history: run #1 in /);
    const listed = await runCli(['history', '--history', db, '--tag', 'profile=weekday', '--json']);
    expect(listed.code, listed.stderr).toBe(0);
    const [row] = JSON.parse(listed.stdout) as { id: number; test: string; tags: Record<string, string> }[];
    expect(row?.test).toBe('chat-quickstart');
    expect(row?.tags).toEqual({ build: '2', host: 'ci', profile: 'weekday' });
    const table = await runCli(['history', '--history', db]);
    expect(table.stdout).toMatch(/chat-quickstart\s+mock\s+build=2,host=ci,profile=weekday\s+pass/);
    const shown = await runCli(['history', 'show', '1', '--history', db]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('run #1: chat-quickstart (pass)');
    expect((await runCli(['history', 'show', '7', '--history', db])).code).toBe(2);

    // A test inside a git checkout carries its commit.
    const inRepo = await quickstart(join(work, 'run2'), ['--history', db]);
    expect(inRepo.code, inRepo.stderr).toBe(0);
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const history = openHistory(db);
    const live = history.get(1);
    expect(history.get(2)?.git?.commit).toBe(head);
    expect(history.get(2)?.tags).toEqual({});
    history.close();
    expect(live?.histograms.windows.length).toBeGreaterThan(0);
    expect(Object.keys(live?.histograms.run ?? {})).toEqual(
      expect.arrayContaining(['ttft_ms', 'itl_ms', 'e2e_ms', 'tpot_ms']),
    );

    // Copied to "another machine": imported from its directory, the same run with the same distributions.
    const copy = join(tempDir(), 'copied-run');
    cpSync(out, copy, { recursive: true });
    const other = join(work, 'other.db');
    const added = await runCli(['history', 'add', copy, '--history', other]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added: run #1 /);
    expect((await runCli(['history', 'add', copy, '--history', other])).stdout).toMatch(
      /^already recorded: run #1/,
    );
    const imported = openHistory(other);
    const again = imported.get(1);
    imported.close();
    expect(again?.tags).toEqual(live?.tags);
    expect(again?.summary).toEqual(live?.summary);
    expect(again?.histograms.windows.map((w) => [w.start_s, w.metric])).toEqual(
      live?.histograms.windows.map((w) => [w.start_s, w.metric]),
    );
    for (const metric of ['ttft_ms', 'e2e_ms']) {
      const a = MetricHistogram.decode(again?.histograms.run[metric] as string);
      const b = MetricHistogram.decode(live?.histograms.run[metric] as string);
      expect(a.stats()).toEqual(b.stats());
    }

    // Baselines by name; an unknown run is bad input.
    expect((await runCli(['baseline', 'set', 'release-1', '1', '--history', db])).code).toBe(0);
    expect((await runCli(['baseline', 'set', 'release-1', '9', '--history', db])).code).toBe(2);
    const named = openHistory(db);
    expect(named.resolveBaseline('release-1')?.id).toBe(1);
    named.close();
  }, 120_000);

  it('never fails a run when the history cannot be written: a warning, and the run as usual', async () => {
    const work = tempDir();
    const blocker = join(work, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const out = join(work, 'run');
    const run = await quickstart(out, ['--history', join(blocker, 'history.db')]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/warning: run not recorded in the run history/);
    expect(existsSync(join(out, 'summary.json'))).toBe(true);
    // --no-history records nothing, even with TOKENSTORM_HISTORY set.
    const none = await quickstart(join(work, 'r2'), ['--no-history'], {
      TOKENSTORM_HISTORY: join(work, 'h.db'),
    });
    expect(none.code, none.stderr).toBe(0);
    expect(existsSync(join(work, 'h.db'))).toBe(false);
  }, 120_000);
});
