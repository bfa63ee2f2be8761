/**
 * A bad row in a feeder file fails the run clearly and in bounded time: before
 * the start, exit 2 naming the file and line; met during the run, one
 * `data_error` record and the run stops (exit 98).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { type FixtureServer, startFixtureServer } from '../support/fixture-server.js';

let server: FixtureServer;

beforeAll(async () => {
  server = await startFixtureServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  });
});
afterAll(() => server.close());

/** A test of one HTTP step per row of `data` (written next to it as `name`), with `feeder` extra fields. */
function testWith(
  name: string,
  data: string,
  load: string,
  feeder = '',
): { test: string; data: string; out: string } {
  const dir = tempDir();
  const dataFile = join(dir, name);
  writeFileSync(dataFile, data);
  const test = join(dir, 'test.yaml');
  writeFileSync(
    test,
    `name: feeder-data
target: ${server.url}
scenarios:
  - name: rows
    feeder: { file: ${name}${feeder} }
    steps:
      - http: { url: "/row/{{ row.id }}" }
load: ${load}
`,
  );
  return { test, data: dataFile, out: join(dir, 'run') };
}

const SHORT = '{ executor: constant-vus, vus: 1, iterations: 3 }';

describe('bad rows before the start', () => {
  it('an unterminated CSV quote exits 2 naming the file and line', async () => {
    const t = testWith('q.csv', 'id,q\n1,"never closed\n2,x\n3,y\n', SHORT);
    const result = await runCli(['run', t.test, '--out', t.out, '--quiet', '--workers', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`scenarios[0].feeder: ${t.data}:`);
    expect(result.stderr).toMatch(/Quote Not Closed.*\(data row 1\)/);
  });

  it('a ragged CSV row exits 2, and runs with relax_column_count', async () => {
    const data = 'id,q\n1,a,extra\n2,b\n';
    const t = testWith('r.csv', data, SHORT);
    const result = await runCli(['run', t.test, '--out', t.out, '--quiet', '--workers', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${t.data}:2: Invalid Record Length: expect 2, got 3 on line 2`);
    const relaxed = testWith('r.csv', data, SHORT, ', relax_column_count: true');
    const ok = await runCli(['run', relaxed.test, '--out', relaxed.out, '--quiet', '--workers', '1']);
    expect(ok.code).toBe(0);
  });

  it('a JSONL line that is not JSON exits 2 naming the file and line', async () => {
    const t = testWith('q.jsonl', 'not json at all\n{"id":2}\n', SHORT);
    const result = await runCli(['run', t.test, '--out', t.out, '--quiet', '--workers', '1']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${t.data}:1: not valid JSON`);
  });
});

describe('a bad row met during the run', () => {
  it('is one data_error record and stops the run with exit 98', async () => {
    // ~1 MB, streamed: the bad line is far past what is read before the start.
    const lines: string[] = [];
    for (let i = 1; i <= 4000; i++) lines.push(JSON.stringify({ id: i, text: 'x'.repeat(240) }));
    lines[2999] = '{"id": 3000, "text": unterminated';
    // A run that would last 10 minutes: only the stop on the bad row ends it within the CLI's bound.
    const t = testWith(
      'big.jsonl',
      `${lines.join('\n')}\n`,
      '{ executor: constant-vus, vus: 4, duration: 10m }',
    );
    const result = await runCli(['run', t.test, '--out', t.out, '--quiet', '--workers', '1'], {
      timeoutMs: 120_000,
    });
    expect(result.code).toBe(98);
    expect(result.stderr).toContain(`${t.data}:3000: not valid JSON`);
    const records = readFileSync(join(t.out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { error?: string; message?: string; outcome: string });
    const dataErrors = records.filter((r) => r.error === 'data_error');
    expect(dataErrors).toHaveLength(1);
    expect(dataErrors[0]?.message).toBe(`${t.data}:3000: not valid JSON`);
    // Every row before the bad one was used.
    expect(records.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(2999);
    const summary = JSON.parse(readFileSync(join(t.out, 'summary.json'), 'utf8'));
    expect(summary.counts.byError).toMatchObject({ data_error: 1 });
  }, 150_000);
});
