/**
 * An answer of 1 MiB without split points no longer freezes a load worker: the
 * run keeps its schedule, ends on time and every record has its token count.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

const ANSWER = 'a'.repeat(1 << 20);
let server: FixtureServer;

beforeAll(async () => {
  const body = JSON.stringify({ choices: [{ message: { content: ANSWER }, finish_reason: 'length' }] });
  server = await startFixtureServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
});
afterAll(() => server.close());

describe('a 1 MiB answer without split points', () => {
  it('is counted and the run ends on time', async () => {
    const dir = tempDir();
    const test = join(dir, 'long.yaml');
    writeFileSync(
      test,
      `name: long-answers
target: ${server.url}/v1
scenarios:
  - name: chat
    steps:
      - chat: { model: m, stream: false, messages: [{ role: user, content: "Say a lot." }] }
load: { executor: constant-vus, vus: 2, duration: 3s }
`,
    );
    const out = join(dir, 'run');
    // Before, one such answer held its worker for many minutes: only a run that ends stays within this.
    const result = await runCli(['run', test, '--out', out, '--quiet', '--workers', '1'], {
      timeoutMs: 90_000,
    });
    expect(result.code).toBe(0);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { outcome: string; outputTokensClient?: number });
    expect(records.length).toBeGreaterThan(2);
    for (const r of records) {
      expect(r.outcome).toBe('ok');
      // Eight `a`s are one o200k token.
      expect(r.outputTokensClient).toBe(ANSWER.length / 8);
    }
  }, 120_000);
});
