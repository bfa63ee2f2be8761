/**
 * `tokenstorm compare` end to end: real runs against the embedded mock (500
 * requests each), then the CLI judges them. Not solo: the verdicts rest on the
 * mock's TTFT 50 ms against 3 s, a 60× gap far beyond what a busy machine adds
 * (a busy machine slows the fast runs, which only narrows the gap the wide
 * band must hide), and a run compared with itself is the same whatever the load.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';

const dir = tempDir('tokenstorm-compare-');

function testFile(name: string, ttftMedian: number): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `name: compare-e2e
mock: { ttft_ms: { dist: lognormal, median: ${ttftMedian}, sigma: 0.3 }, itl_ms: 2, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 125, duration: 4s }
`,
  );
  return path;
}

async function run(test: string, out: string): Promise<string> {
  const result = await runCli(['run', test, '--out', out, '--quiet', '--records', 'full'], {
    timeoutMs: 90_000,
  });
  expect(result.code, result.stderr).toBe(0);
  return out;
}

let base: string;
let base2: string;
let slow: string;

beforeAll(async () => {
  const fast = testFile('fast.yaml', 50);
  base = await run(fast, join(dir, 'base'));
  base2 = await run(fast, join(dir, 'base2'));
  slow = await run(testFile('slow.yaml', 3000), join(dir, 'slow'));
}, 300_000);

interface JsonComparison {
  mode: string;
  verdict: string;
  rows: { scenario: string; metric: string; stat: string; verdict: string; ci: unknown }[];
}

describe('tokenstorm compare', () => {
  it('finds a 60× slower TTFT a regression: exit 99 with --fail-on, JSON and Markdown', async () => {
    const md = join(dir, 'compare.md');
    const result = await runCli([
      'compare',
      base,
      slow,
      '--fail-on',
      'regression',
      '--json',
      '--markdown',
      md,
    ]);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(99);
    const c = JSON.parse(result.stdout) as JsonComparison;
    expect(c).toMatchObject({ mode: 'single', verdict: 'regression' });
    const p99 = c.rows.find((r) => r.metric === 'ttft_ms' && r.stat === 'p99');
    expect(p99).toMatchObject({ scenario: 'all', verdict: 'regression' });
    expect(p99?.ci).toBeTruthy();
    expect(readFileSync(md, 'utf8')).toMatch(/\| all \| ttft_ms p99 \|.*\*\*regression\*\*/);
    // Without --fail-on a regression is reported, not a failure.
    const table = await runCli(['compare', base, slow]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/ttft_ms p99 .* regression/);
    expect(table.stdout).toContain('verdict: REGRESSION');
  });

  it('judges against a rolling baseline of several runs', async () => {
    const result = await runCli(['compare', base, base2, slow, '--json']);
    expect(result.code).toBe(0);
    const c = JSON.parse(result.stdout) as JsonComparison;
    expect(c).toMatchObject({ mode: 'rolling', verdict: 'regression' });
    expect(c.rows.find((r) => r.metric === 'ttft_ms' && r.stat === 'p50')?.verdict).toBe('regression');
  });

  it('finds a run no different from itself', async () => {
    const result = await runCli(['compare', base, base, '--fail-on', 'regression', '--json']);
    expect(result.code).toBe(0);
    const c = JSON.parse(result.stdout) as JsonComparison;
    expect(c.verdict).toBe('no significant change');
    expect(c.rows.every((r) => r.verdict !== 'regression' && r.verdict !== 'improvement')).toBe(true);
  });

  it('refuses runs of different load, test or target unless --force; bad arguments exit 2', async () => {
    const other = join(dir, 'other-load');
    cpSync(base, other, { recursive: true });
    const runJson = join(other, 'run.json');
    const info = JSON.parse(readFileSync(runJson, 'utf8'));
    info.test.load.rate = 250;
    info.name = 'another-test';
    writeFileSync(runJson, JSON.stringify(info));
    const refused = await runCli(['compare', base, other]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not runs of the same test');
    expect(refused.stderr).toContain('test name "compare-e2e" vs "another-test"');
    expect(refused.stderr).toMatch(/load .*"rate":125.* vs .*"rate":250/);
    expect(refused.stderr).toContain('--force');
    const forced = await runCli(['compare', base, other, '--force', '--quiet']);
    expect(forced.code).toBe(0);

    const band = await runCli(['compare', base, slow, '--band', 'p99']);
    expect(band.code).toBe(2);
    expect(band.stderr).toContain('--band "p99": expected NAME=NUMBER');
    const failOn = await runCli(['compare', base, slow, '--fail-on', 'improvement']);
    expect(failOn.code).toBe(2);
    expect(failOn.stderr).toContain('--fail-on "improvement": expected "regression"');
    const notRun = await runCli(['compare', base, dir]);
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain('not a run directory');
    const one = await runCli(['compare', base]);
    expect(one.code).toBe(2);
  });

  it('a wider band turns the same change into no significant change', async () => {
    const result = await runCli([
      'compare',
      base,
      slow,
      '--json',
      '--band',
      'ttft_ms=100',
      '--band',
      'e2e_ms=100',
    ]);
    const c = JSON.parse(result.stdout) as JsonComparison;
    expect(
      c.rows.filter((r) => r.metric === 'ttft_ms').every((r) => r.verdict === 'no significant change'),
    ).toBe(true);
  });
});
