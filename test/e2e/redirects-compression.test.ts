/**
 * Through the CLI: a target that redirects and answers compressed gives ok
 * records showing the hops and the encoding; `max_redirects: 0` counts the
 * redirect as `http_3xx`; the secret in a Location's query is never written.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { constants, createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../src/core/index.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { type FixtureServer, readBody, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;
const landed: string[] = [];

beforeAll(async () => {
  server = await startFixtureServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/v1/chat/completions') {
      return void res.writeHead(307, { location: '/v2/chat/completions?sig=hunter2' }).end();
    }
    landed.push(`${req.method} ${JSON.parse(body).model}`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
    const gzip = createGzip();
    gzip.pipe(res);
    for (const word of [' one', ' two']) {
      gzip.write(`data: ${JSON.stringify({ choices: [{ delta: { content: word } }] })}\n\n`);
      gzip.flush(constants.Z_SYNC_FLUSH);
    }
    gzip.end(
      `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
    );
  });
});
afterAll(() => server.close());

describe('redirects and compression through the CLI', () => {
  it('follows the redirect, decodes the stream, and counts a redirect left unfollowed as http_3xx', async () => {
    const dir = tempDir();
    const test = join(dir, 'redirects.yaml');
    writeFileSync(
      test,
      `name: redirects
target: ${server.url}/v1
scenarios:
  - name: follows
    weight: 1
    steps:
      - chat: { model: followed, messages: [{ role: user, content: hi }] }
  - name: stays
    weight: 1
    steps:
      - chat: { model: stayed, max_redirects: 0, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 1, iterations: 20 }
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet', '--workers', '1']);
    expect(stderrProblems(result.stderr)).toEqual([]);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as RequestRecord);
    expect(records).toHaveLength(20);
    const follows = records.filter((r) => r.scenario === 'follows');
    const stays = records.filter((r) => r.scenario === 'stays');
    expect(follows.length).toBeGreaterThan(0);
    expect(stays.length).toBeGreaterThan(0);
    for (const r of follows) {
      expect(r).toMatchObject({ outcome: 'ok', status: 200, encoding: 'gzip', chunks: 2 });
      expect(r.redirects).toEqual([
        { status: 307, location: `${server.url}/v2/chat/completions`, ms: expect.any(Number) },
      ]);
      expect(r.ttftMs).toBeGreaterThanOrEqual(r.redirects?.[0]?.ms as number);
    }
    for (const r of stays) expect(r).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 307 });
    expect(landed).toEqual(Array(follows.length).fill('POST followed'));
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts).toMatchObject({
      requests: 20,
      ok: follows.length,
      errors: stays.length,
      byError: { http_3xx: stays.length },
    });
    expect(readFileSync(join(out, 'records.jsonl'), 'utf8')).not.toContain('hunter2');
  });
});
