/**
 * Checks on answers through the real CLI: a 127.0.0.1 server the test starts
 * answers every other request with JSON that breaks the step's schema; the
 * records carry each check's verdict, the failures name the JSON path, the
 * pass rates reach summary.json and a rebuild from records.jsonl agrees. A bad
 * check (an invalid regex) stops the test at load time with exit 2.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

let server: Server;
let target = '';
let served = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const good = served++ % 2 === 0;
      const content = good ? '{"city":"Paris","population":2102650}' : '{"city":"Paris","population":"many"}';
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'x',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const test = (checks: string) => `name: checks-e2e
target: ${target}
scenarios:
  - name: city
    steps:
      - chat:
          name: answer
          model: m
          stream: false
          messages: [{ role: user, content: "the capital of France as JSON" }]
          checks:
${checks}
load: { executor: constant-vus, vus: 2, duration: 1500ms }
thresholds:
  "checks{check:json_schema}": ["rate > 0.99"]
  "checks{check:finish_reason}": ["rate == 1"]
`;

describe('checks through the CLI', () => {
  it('records each verdict, names the JSON path, and reports pass rates a rebuild agrees with', async () => {
    const dir = tempDir();
    const file = join(dir, 'checks.yaml');
    writeFileSync(
      file,
      test(`            finish_reason: stop
            json_schema:
              type: object
              required: [city, population]
              properties: { city: { type: string }, population: { type: integer } }`),
    );
    const out = join(dir, 'run');
    const r = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1']);
    expect(r.code).toBe(99);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const failed = records.filter((x) => x.error === 'check_failed');
    const passed = records.filter((x) => x.outcome === 'ok');
    expect(failed.length).toBeGreaterThan(0);
    expect(passed.length).toBeGreaterThan(0);
    expect(failed.length + passed.length).toBe(records.length);
    for (const x of failed) {
      expect(x.checks).toEqual({ finish_reason: true, json_schema: false });
      expect(x.message).toBe('check failed: json_schema: $.population must be integer');
    }
    for (const x of passed) expect(x.checks).toEqual({ finish_reason: true, json_schema: true });

    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.checks.byCheck.json_schema).toEqual({
      passes: passed.length,
      fails: failed.length,
      rate: Math.round((passed.length / records.length) * 1e6) / 1e6,
    });
    expect(summary.checks.byCheck.finish_reason).toMatchObject({ passes: records.length, fails: 0 });
    expect(summary.counts.byError.check_failed).toBe(failed.length);
    expect(summary.steps.answer.checks).toEqual(summary.checks);
    const windowed = summary.windows.reduce(
      (n: number, w: { checks?: { fails: number } }) => n + (w.checks?.fails ?? 0),
      0,
    );
    expect(windowed).toBe(failed.length);
    expect(summary.thresholds.map((t: { metric: string; passed: boolean }) => [t.metric, t.passed])).toEqual([
      ['checks{check:json_schema}', false],
      ['checks{check:finish_reason}', true],
    ]);

    const rebuilt = await runCli(['report', out, '--json']);
    const again = JSON.parse(rebuilt.stdout);
    expect(again.checks).toEqual(summary.checks);
    expect(again.windows).toEqual(summary.windows);
  });

  it('exits 2 at load time naming the file and the field of an invalid regex', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, test('            regex: ["ok", "(unclosed"]'));
    const r = await runCli(['run', file, '--out', join(dir, 'run')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `${file}: scenarios[0].steps[0].chat.checks.regex[1]: invalid regular expression "(unclosed"`,
    );
  });
});
