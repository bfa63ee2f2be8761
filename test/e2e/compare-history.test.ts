/**
 * `tokenstorm compare` finds runs in the run history: `#ID`, `baseline:NAME`,
 * and `rolling`, which gives no verdict (and never fails) until the history
 * holds enough passing runs of the same test, target and tags.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { chatTestYaml } from '../support/run-dir.js';

const LOAD = '{ executor: constant-arrival-rate, rate: 50, duration: 2s }';

const dir = tempDir('tokenstorm-compare-history-');
const history = join(dir, 'history.db');
const test = join(dir, 'test.yaml');
const env = { TOKENSTORM_HISTORY: history };
let first: string;
let second: string;

beforeAll(async () => {
  writeFileSync(test, chatTestYaml('compare-history', { load: LOAD }));
  first = join(dir, 'run-1');
  second = join(dir, 'run-2');
  for (const out of [first, second]) {
    const result = await runCli(['run', test, '--out', out, '--quiet', '--tag', 'profile=ci'], { env });
    expect(result.code, result.stderr).toBe(0);
  }
}, 120_000);

describe('compare with the run history', () => {
  it('compares history ids and a named baseline', async () => {
    const byId = await runCli(['compare', '#1', '#2', '--json'], { env });
    expect(byId.code, byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toHaveProperty('verdict');

    const set = await runCli(['baseline', 'set', 'main', '1'], { env });
    expect(set.code, set.stderr).toBe(0);
    const named = await runCli(['compare', 'baseline:main', second, '--json'], { env });
    expect(named.code, named.stderr).toBe(0);
    const comparison = JSON.parse(named.stdout) as { verdict: string };
    expect(['regression', 'improvement', 'no significant change']).toContain(comparison.verdict);
  });

  it('says it is collecting a rolling baseline below the minimum, and does not fail', async () => {
    const rolling = await runCli(['compare', 'rolling', second, '--fail-on', 'regression'], { env });
    expect(rolling.code, rolling.stderr).toBe(0);
    // Two runs recorded, the candidate is never its own baseline: one of five.
    expect(rolling.stdout).toContain('collecting baseline (1 of 5)');
  });

  it('names what it cannot find (exit 2)', async () => {
    const missing = await runCli(['compare', 'baseline:nope', second], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('baseline:nope: no such run in the history');
  });
});

describe("a test's compare: block (tokenstorm run judges itself)", () => {
  const gated = join(dir, 'gated.yaml');
  const write = (compare: string) =>
    writeFileSync(
      gated,
      chatTestYaml('compare-history', { load: LOAD, extra: `compare: ${compare}\ntags: { profile: ci }\n` }),
    );
  const run = async (out: string, ...extra: string[]) => {
    const result = await runCli(['run', gated, '--out', join(dir, out), '--quiet', ...extra], { env });
    const summary = JSON.parse(readFileSync(join(dir, out, 'summary.json'), 'utf8'));
    return { ...result, compare: summary.compare };
  };

  it('exits 2 on a bad compare: block, naming the field', async () => {
    for (const [block, message] of [
      [
        '{ baseline: rolling, fail_on: [ttft_ms.p98] }',
        'compare.fail_on[0]: expected "regression" or metric.stat',
      ],
      ['{ baseline: rolling, bands: { p99: -1 } }', 'compare.bands.p99'],
      ['{ baseline: rolling, bands: { q99: 0.2 } }', 'compare.bands.q99'],
      ['{ fail_on: [error_rate] }', 'compare.baseline'],
      ['{ baseline: rolling, fail: [] }', 'compare: unknown field "fail"'],
    ] as const) {
      write(block);
      const result = await runCli(['run', gated, '--quiet'], { env });
      expect(result.code, block).toBe(2);
      expect(result.stderr).toContain(message);
    }
  }, 120_000);

  it('collects a rolling baseline without failing, even with fail_on: [regression]', async () => {
    write('{ baseline: rolling, fail_on: [regression] }');
    const result = await run('gated-rolling');
    expect(result.code, result.stderr).toBe(0);
    // run-1 and run-2 carry the tag profile=ci and the same test, target and load.
    expect(result.stdout).toContain('compare: collecting baseline (2 of 5): no verdict yet');
    expect(result.compare).toMatchObject({ status: 'collecting', baseline_runs: [2, 1], failed: [] });
  }, 120_000);

  it('judges against a named baseline, and says why when it cannot', async () => {
    write('{ baseline: "${BASE}", fail_on: [error_rate] }');
    const named = await run('gated-named', '-e', 'BASE=main');
    expect(named.code, named.stderr).toBe(0);
    expect(named.compare).toMatchObject({
      status: 'judged',
      baseline: 'main',
      baseline_runs: [1],
      failed: [],
    });
    expect(['regression', 'improvement', 'no significant change']).toContain(named.compare.verdict);
    expect(named.stdout).toMatch(/compare: [A-Z ]+ against baseline "main" \(#1\)/);
    const listed = await runCli(['history', '--limit', '1'], { env });
    expect(listed.stdout).toContain(named.compare.verdict);
    // `tokenstorm report` rebuilds the summary from the records and keeps the run's verdict.
    const rebuilt = await runCli(['report', join(dir, 'gated-named'), '--json'], { env });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(JSON.parse(rebuilt.stdout).compare).toEqual(named.compare);

    const missing = await run('gated-missing', '-e', 'BASE=nope');
    expect(missing.code, missing.stderr).toBe(0);
    expect(missing.compare).toMatchObject({ status: 'unavailable' });
    expect(missing.stdout).toContain('compare: no verdict against baseline "nope": no baseline "nope" in');

    const off = await run('gated-off', '-e', 'BASE=main', '--no-history');
    expect(off.code, off.stderr).toBe(0);
    expect(off.compare.reason).toContain('the run history is off');
  }, 240_000);
});
