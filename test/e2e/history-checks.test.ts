/**
 * `tokenstorm history checks`: the agreement of each advisory check with the
 * blocking thresholds over runs recorded in a history. Two real short runs of
 * one test (its blocking threshold passing, then failing), imported many times
 * with `history add` (each copy a new run: its start time moved), so the
 * history holds 19, 21 and 22 runs without 22 real runs.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { chatTestYaml } from '../support/run-dir.js';

const dir = tempDir('tokenstorm-history-checks-');
const history = join(dir, 'history.db');
let passing: string;
let failing: string;
let copies = 0;

interface Group {
  test: string;
  runs: number;
  skipped: number;
  checks: { check: string; runs: number; agreed: number; misses: number; suggestion: string }[];
}

/** Copies of a run directory with start times one minute apart: distinct runs to the history. */
function copiesOf(run: string, n: number): string[] {
  return Array.from({ length: n }, () => {
    const copy = join(dir, `copy-${++copies}`);
    cpSync(run, copy, { recursive: true });
    const file = join(copy, 'run.json');
    const info = JSON.parse(readFileSync(file, 'utf8'));
    info.startedAt = new Date(Date.parse(info.startedAt) + copies * 60_000).toISOString();
    writeFileSync(file, JSON.stringify(info));
    return copy;
  });
}

async function add(dirs: string[]): Promise<void> {
  const result = await runCli(['history', 'add', ...dirs, '--history', history], { timeoutMs: 120_000 });
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout.match(/^added: run #/gm)?.length).toBe(dirs.length);
}

async function checks(...extra: string[]): Promise<Group[]> {
  const result = await runCli(['history', 'checks', '--json', '--history', history, ...extra]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Group[];
}

beforeAll(async () => {
  const test = join(dir, 'gate.yaml');
  writeFileSync(
    test,
    chatTestYaml('gate', {
      extra: `thresholds:
  ttft_ms: ["p99 < \${LIMIT}"]
`,
    }),
  );
  passing = join(dir, 'passing');
  failing = join(dir, 'failing');
  const pass = await runCli(['run', test, '--out', passing, '--quiet', '--no-history', '-e', 'LIMIT=60000']);
  expect(pass.code, pass.stderr).toBe(0);
  const fail = await runCli(['run', test, '--out', failing, '--quiet', '--no-history', '-e', 'LIMIT=0.001']);
  expect(fail.code, fail.stderr).toBe(99);
}, 120_000);

describe('tokenstorm history checks', () => {
  it('collects below 20 runs, suggests promotion at >= 95% of >= 20, and not below 95%', async () => {
    await add(copiesOf(passing, 19));
    let [group] = await checks();
    expect(group).toMatchObject({ test: 'gate', runs: 19, skipped: 0 });
    const p99 = () => group?.checks.find((c) => c.check === 'anomaly ttft_ms.p99');
    expect(p99()).toMatchObject({ runs: 19, agreed: 19, suggestion: 'collecting' });

    // 20 passing runs without an anomaly and one failing run that no anomaly foresaw: 20 of 21 agree.
    await add([...copiesOf(passing, 1), ...copiesOf(failing, 1)]);
    [group] = await checks();
    expect(p99()).toMatchObject({ runs: 21, agreed: 20, misses: 1, suggestion: 'promote to blocking' });

    // A second miss: 20 of 22 (91%) is not enough.
    await add(copiesOf(failing, 1));
    [group] = await checks();
    expect(p99()).toMatchObject({ runs: 22, agreed: 20, misses: 2, suggestion: 'keep advisory' });

    // --last looks at the newest runs only: the last 20 hold both misses.
    [group] = await checks('--last', '20');
    expect(p99()).toMatchObject({ runs: 20, agreed: 18, suggestion: 'keep advisory' });
  }, 240_000);

  it('prints a table, filters by --test, and exits 2 on a bad --last', async () => {
    const table = await runCli(['history', 'checks', '--history', history, '--test', 'gate']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^gate @ mock, tags -: 22 runs/m);
    expect(table.stdout).toMatch(/anomaly ttft_ms\.p99\s+22\s+20\s+90\.9%\s+0\s+2\s+keep advisory/);
    const none = await runCli(['history', 'checks', '--history', history, '--test', 'other']);
    expect(none.stdout).toContain('no runs recorded');
    const bad = await runCli(['history', 'checks', '--history', history, '--last', 'x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--last: expected a whole number of runs, got "x"');
  }, 120_000);
});
