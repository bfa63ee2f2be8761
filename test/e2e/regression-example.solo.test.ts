/**
 * examples/regression/ end to end: five runs of the current build fill a
 * rolling baseline in a temporary history ("collecting baseline (k of 5)",
 * exit 0), then the regressed build (the mock's TTFT 30% slower) is judged a
 * regression of TTFT p99 by the test's `compare:` block (exit 99, summary.json
 * `compare`, recorded as failed), and the current build again is not. Solo:
 * the verdict rests on measured latencies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempDir } from '../support/cli.js';

const dir = tempDir('tokenstorm-regression-example-');
const history = join(dir, 'history.db');
const example = (name: string) => join(ROOT, 'examples', 'regression', `${name}.yaml`);

interface RunCompare {
  status: string;
  verdict?: string;
  collecting?: { have: number; need: number };
  failed: string[];
  baseline_runs: number[];
}

async function run(build: 'current' | 'regressed', i: number) {
  const out = join(dir, `${build}-${i}`);
  const result = await runCli(['run', example(build), '--out', out, '--quiet', '--history', history], {
    timeoutMs: 90_000,
  });
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
    passed: boolean;
    compare: RunCompare;
  };
  return { ...result, summary };
}

describe('examples/regression', () => {
  it('collects a rolling baseline, fails the regressed build with exit 99, passes the current one', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await run('current', i);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`compare: collecting baseline (${i} of 5): no verdict yet`);
      expect(r.summary.compare).toMatchObject({ status: 'collecting', collecting: { have: i, need: 5 } });
    }

    const regressed = await run('regressed', 0);
    expect(regressed.code, `${regressed.stdout}\n${regressed.stderr}`).toBe(99);
    expect(regressed.summary.compare).toMatchObject({ status: 'judged', verdict: 'regression' });
    expect(regressed.summary.compare.baseline_runs).toEqual([5, 4, 3, 2, 1]);
    expect(regressed.summary.compare.failed).toContain('all ttft_ms.p99');
    expect(regressed.summary.passed).toBe(false);
    expect(regressed.stdout).toMatch(/compare: REGRESSION against rolling baseline/);
    expect(regressed.stdout).toMatch(/FAILED \(compare\.fail_on\): .*all ttft_ms\.p99/);

    // The history keeps the verdict; the failed run does not join the baseline.
    const listed = await runCli(['history', '--history', history, '--json']);
    const rows = JSON.parse(listed.stdout) as { id: number; passed: boolean }[];
    expect(rows.find((r) => r.id === 6)?.passed).toBe(false);

    const again = await run('current', 5);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(again.summary.compare.status).toBe('judged');
    expect(again.summary.compare.verdict).not.toBe('regression');
    expect(again.summary.compare.baseline_runs).not.toContain(6);
  }, 600_000);
});
