/**
 * A header value rendered from a template with CR or LF (a feeder row with a
 * line break) fails its step with `script_error` naming the header, before
 * sending: not a `connection` error per request.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';

const dir = mkdtempSync(join(tmpdir(), 'ts-header-values-'));
const rows = join(dir, 'users.csv');
writeFileSync(rows, 'user\nalice\n"bob\nInjected: yes"\n');

let server: FixtureServer;
const seen: (string | undefined)[] = [];
beforeAll(async () => {
  server = await startFixtureServer((req, res) => {
    seen.push(req.headers['x-user'] as string | undefined);
    res.end('ok');
  });
});
afterAll(() => server.close());

describe('rendered header values', () => {
  it('fails the step naming the header when a row puts a line break in it; other rows are sent', async () => {
    const workload = workloadFor(
      {
        scenarios: [
          {
            name: 's',
            feeder: { file: rows, strategy: 'sequential' },
            steps: [{ http: { url: '/x', headers: { 'x-user': '{{ row.user }}' } } }],
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 2 });
    expect(records.map((r) => [r.outcome, r.error])).toEqual([
      ['ok', undefined],
      ['error', 'script_error'],
    ]);
    expect(records[1]?.message).toBe(
      'headers.x-user: the rendered value holds CR, LF or NUL and cannot be sent',
    );
    expect(seen).toEqual(['alice']);
  });
});
