/**
 * A threshold naming a scenario that does not exist stops the CLI at load
 * time (exit 2, before any request), naming the threshold and the scenarios.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

describe('threshold selectors', () => {
  it('exit 2 at load time for a scenario that does not exist, with the names that exist', async () => {
    const dir = tempDir();
    const test = join(dir, 'typo.yaml');
    writeFileSync(
      test,
      `scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 8, messages: [{ role: user, content: hi }] }
  - name: rag
    steps:
      - http: { url: /models }
load: { executor: constant-vus, vus: 1, duration: 30s }
thresholds:
  "e2e_ms{scenario:chta}": ["p99 < 5000"]
`,
    );
    const out = join(dir, 'out');
    const r = await runCli(['run', test, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${test}: thresholds.e2e_ms{scenario:chta}: threshold "e2e_ms{scenario:chta}" names scenario "chta", which does not exist (expected one of: "chat", "rag")`,
    );
  });
});
