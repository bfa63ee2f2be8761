/**
 * The examples/ runs of the e2e suite, split over two test files
 * (examples.test.ts, examples-2.test.ts) so that vitest's two workers share
 * them: in one file they were the suite's longest file, run one after another.
 * Each example is validated and run (shortened to 2 s) against the embedded mock.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ROOT, runCli, stderrProblems, tempDir } from './cli.js';

export const EXAMPLES = readdirSync(join(ROOT, 'examples')).filter((f) => /\.(ya?ml|ts)$/.test(f));
// bad.yaml is the one example of an invalid file: it must fail as documented.
export const INVALID = new Set(['bad.yaml']);
// rag.yaml needs its retrieval app running: test/e2e/rag.test.ts starts it and runs the example.
const NEEDS_APP = new Set(['rag.yaml']);

const RUNNABLE = EXAMPLES.filter((f) => !INVALID.has(f) && !NEEDS_APP.has(f));

/** One `it` per runnable example of this part (`part` of 0..parts-1, every parts-th file). */
export function itRunsExamples(part: number, parts: number): void {
  it.each(RUNNABLE.filter((_, i) => i % parts === part))('%s validates and runs', async (name) => {
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', `examples/${name}`, '--duration', '2s', '--out', out, '--quiet']);
    const stderr = stderrProblems(result.stderr);
    expect(stderr).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.requests).toBeGreaterThan(0);
    expect(summary.counts.errors).toBe(0);
  });
}
