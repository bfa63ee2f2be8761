/**
 * A misbehaving upstream yields classified errors and the run goes on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { type FixtureServer, sseChunk, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;
let count = 0;

beforeAll(async () => {
  // Requests rotate through: a good stream, a 500, a stream cut mid-way, malformed SSE.
  server = await startFixtureServer((req, res) => {
    req.resume();
    const mode = count++ % 4;
    if (mode === 1) return void res.writeHead(500).end('overloaded');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    sseChunk(res, ' a');
    sseChunk(res, ' b');
    if (mode === 2) return void setTimeout(() => res.socket?.destroy(), 10);
    if (mode === 3) return void res.end('data: {"choices": [garbage\n\n');
    res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
});
afterAll(() => server.close());

describe('errors by kind', () => {
  it('classifies 500, cut and malformed streams and keeps running', async () => {
    const dir = tempDir();
    const test = join(dir, 'errors.yaml');
    writeFileSync(
      test,
      `name: errors
target: ${server.url}/v1
scenarios:
  - name: chat
    steps:
      - chat: { model: m, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 1, iterations: 40 }
thresholds:
  error_rate: ["< 0.5"]
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet']);
    // 30 of 40 failed: the error_rate threshold fails, the run itself does not crash.
    expect(result.code).toBe(99);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts).toMatchObject({
      requests: 40,
      ok: 10,
      errors: 30,
      byError: { http_5xx: 10, stream_error: 20 },
    });
    expect(summary.rates.error_rate).toBeCloseTo(0.75, 5);
  });
});
