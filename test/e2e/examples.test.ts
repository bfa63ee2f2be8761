/**
 * Every file in examples/ is validated and run (shortened to 2 s).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, stderrProblems, tempDir } from '../support/cli.js';

const examples = readdirSync(join(ROOT, 'examples')).filter((f) => /\.(ya?ml|ts)$/.test(f));
// bad.yaml is the one example of an invalid file: it must fail as documented.
const INVALID = new Set(['bad.yaml']);
// rag.yaml needs its retrieval app running: test/e2e/rag.test.ts starts it and runs the example.
const NEEDS_APP = new Set(['rag.yaml']);

describe('examples', () => {
  it('has the quickstart and the documented bad file', () => {
    expect(examples).toEqual(expect.arrayContaining(['quickstart.yaml', 'quickstart.ts', 'bad.yaml']));
  });

  it.each(examples.filter((f) => !INVALID.has(f) && !NEEDS_APP.has(f)))(
    '%s validates and runs',
    async (name) => {
      const out = join(tempDir(), 'run');
      const result = await runCli(['run', `examples/${name}`, '--duration', '2s', '--out', out, '--quiet']);
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
