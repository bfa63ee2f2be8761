/**
 * `tokenstorm compare` finds runs in the run history: `#ID`, `baseline:NAME`,
 * and `rolling`, which gives no verdict (and never fails) until the history
 * holds enough passing runs of the same test, target and tags.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const dir = tempDir('tokenstorm-compare-history-');
const history = join(dir, 'history.db');
const test = join(dir, 'test.yaml');
const env = { TOKENSTORM_HISTORY: history };
let first: string;
let second: string;

beforeAll(async () => {
  writeFileSync(
    test,
    `name: compare-history
mock: { ttft_ms: 20, itl_ms: 2, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 50, duration: 2s }
`,
  );
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
