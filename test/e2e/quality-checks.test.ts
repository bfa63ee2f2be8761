/**
 * Answer checks under load: against the mock set to degrade its answers once
 * enough are in flight (truncated with `finish_reason: length`, refusals), a
 * light stage passes every check and a heavy stage fails more of them, per
 * stage in summary.json; the checks threshold fails the run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';

function writeTest(dir: string): string {
  writeFileSync(
    join(dir, 'qa.jsonl'),
    `${JSON.stringify({ prompt: 'What does TTFT measure?', answer: 'Time to first token measures how long a user waits for the first piece of the answer.' })}\n`,
  );
  const file = join(dir, 'checks-load.yaml');
  writeFileSync(
    file,
    `name: checks-under-load
target: mock
mock:
  ttft_ms: 40
  itl_ms: 5
  answers: { file: qa.jsonl }
  degrade:
    when: { in_flight: 5 }
    truncate: 0.4
    refusal: 0.2
scenarios:
  - name: qa
    feeder: { file: qa.jsonl }
    steps:
      - chat:
          name: answer
          model: m
          max_tokens: 100
          messages: [{ role: user, content: "{{ row.prompt }}" }]
          checks:
            finish_reason: stop
            not_contains: ["I can't help"]
load:
  executor: ramping-arrival-rate
  max_vus: 200
  stages:
    - { target: 5, duration: 0, name: start }
    - { target: 5, duration: 2s, name: light }
    - { target: 70, duration: 0, name: jump }
    - { target: 70, duration: 1500ms, name: heavy }
thresholds:
  checks: ["rate > 0.99"]
`,
  );
  return file;
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
