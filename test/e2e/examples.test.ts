/**
 * Every file in examples/ is validated and run (shortened to 2 s): half of
 * them here, the other half in examples-2.test.ts (test/support/examples.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.js';
import { EXAMPLES, itRunsExamples } from '../support/examples.js';

describe('examples', () => {
  it('has the quickstart and the documented bad file', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['quickstart.yaml', 'quickstart.ts', 'bad.yaml']));
  });

  itRunsExamples(0, 2);

  it('bad.yaml fails with exit 2 and the documented message', async () => {
    const result = await runCli(['run', 'examples/bad.yaml']);
    expect(result.code).toBe(2);
    expect(readFileSync(join(ROOT, 'examples/bad.yaml'), 'utf8')).toContain(result.stderr.trim());
  });
});
