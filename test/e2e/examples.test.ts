/**
 * Every file in examples/ is validated and run (shortened to 2 s), two at a
 * time: each run is mostly waiting on its 2 s of load, so a pair shares the
 * cores without slowing either past what the examples' thresholds allow.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, stderrProblems, tempDir } from '../support/cli.js';
import { limiter } from '../support/limit.js';

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => /\.(ya?ml|ts)$/.test(f));
// bad.yaml is the one example of an invalid file: it must fail as documented.
const INVALID = new Set(['bad.yaml']);
// rag.yaml needs its retrieval app running: test/e2e/rag.test.ts starts it and runs the example.
const NEEDS_APP = new Set(['rag.yaml']);
/** Runs at once; EXAMPLES_PARALLEL=1 runs them one after another. */
const limited = limiter(Number(process.env.EXAMPLES_PARALLEL ?? 2));

describe.concurrent('examples', () => {
  it('has the quickstart and the documented bad file', () => {
    expect(examples).toEqual(expect.arrayContaining(['quickstart.yaml', 'quickstart.ts', 'bad.yaml']));
  });

  it.each(examples.filter((f) => !INVALID.has(f) && !NEEDS_APP.has(f)))(
    '%s validates and runs',
    { timeout: 600_000 },
    async (name) => {
      const out = join(tempDir(), 'run');
      // Waiting for a turn counts in the test's timeout, hence its size; runCli bounds each run.
      const result = await limited(() =>
        runCli(['run', `examples/${name}`, '--duration', '2s', '--out', out, '--quiet']),
      );
      const stderr = stderrProblems(result.stderr);
      expect(stderr).toEqual([]);
      expect(result.code).toBe(0);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(summary.counts.requests).toBeGreaterThan(0);
      expect(summary.counts.errors).toBe(0);
    },
  );

  it('bad.yaml fails with exit 2 and the documented message', async () => {
    const result = await runCli(['run', 'examples/bad.yaml']);
    expect(result.code).toBe(2);
    expect(readFileSync(join(ROOT, 'examples/bad.yaml'), 'utf8')).toContain(result.stderr.trim());
  });
});
