/**
 * Answer checks under load: against the mock set to degrade its answers once
 * enough are in flight (truncated with `finish_reason: length`, refusals), a
 * light stage passes every check and a heavy stage fails more of them, per
 * stage in summary.json; the checks threshold fails the run.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { writeDegradingTest } from '../support/degrading-mock.js';

function writeTest(dir: string): string {
  return writeDegradingTest(dir, {
    name: 'checks-under-load',
    qa: [
      [
        'What does TTFT measure?',
        'Time to first token measures how long a user waits for the first piece of the answer.',
      ],
    ],
    degrade: ['refusal: 0.2'],
    step: `checks:
  finish_reason: stop
  not_contains: ["I can't help"]`,
    tail: `thresholds:
  checks: ["rate > 0.99"]
`,
  });
}

interface StageChecks {
  name: string;
  checks?: { passes: number; fails: number; rate: number };
}

describe('answer checks against the degrading mock', () => {
  it('pass in the light stage, fail more in the heavy one, and fail the checks threshold', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const result = await runCli(['run', writeTest(dir), '--out', out, '--quiet']);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(ExitCode.thresholdFailed);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as {
      stages: StageChecks[];
      counts: { byError: Record<string, number> };
    };
    const light = summary.stages.find((s) => s.name === 'light');
    const heavy = summary.stages.find((s) => s.name === 'heavy');
    expect(light?.checks?.passes).toBeGreaterThan(0);
    expect(light?.checks?.fails).toBe(0);
    expect(heavy?.checks?.fails).toBeGreaterThan(0);
    expect(heavy?.checks?.rate).toBeLessThan(light?.checks?.rate as number);
    // A failed check makes its request a check_failed error, counted by kind.
    expect(summary.counts.byError.check_failed).toBeGreaterThan(0);
  }, 60_000);
});
