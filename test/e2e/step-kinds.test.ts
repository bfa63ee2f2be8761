/**
 * A kind of step defined in a test file (test/e2e/fixtures/ping-kind.ts, as a
 * plugin would) runs end to end through the real CLI and two worker threads
 * against a loopback server: the file registers it, every worker loads the
 * file and so has it, its records reach summary.json as model records, and a
 * threshold on them decides the exit code. Nothing in src/ names the kind.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const FIXTURE = 'test/e2e/fixtures/ping-kind.ts';

let server: Server | undefined;
afterEach(async () => {
  const s = server;
  server = undefined;
  if (s !== undefined) await new Promise((resolve) => s.close(resolve));
});

/** A loopback server answering `GET /ping` with `{ "tokens": tokens }`; counts what it saw. */
async function pingServer(tokens: number): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ tokens }));
  });
  await new Promise<void>((resolve) => (server as Server).listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

describe('a step kind registered by a test file', () => {
  it('runs through the workers: its samples reach summary.json and its threshold passes', async () => {
    const { url, seen } = await pingServer(7);
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', FIXTURE, '--out', out, '--quiet', '--workers', '2'], {
      env: { PING_TARGET: url },
      timeoutMs: 60_000,
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(seen).toHaveLength(40);
    expect(new Set(seen)).toEqual(new Set(['GET /ping']));
    const summary = readJson(join(out, 'summary.json'));
    expect(summary.counts).toMatchObject({ requests: 40, ok: 40, errors: 0 });
    const step = summary.steps.pinger;
    expect(step.kind).toBe('ping');
    // A model kind: its records feed the model metrics (TTFT, output tokens), as chat's do.
    expect(step.metrics.output_tokens).toMatchObject({ count: 40, min: 7, max: 7 });
    expect(step.metrics.ttft_ms.count).toBe(40);
    expect(summary.thresholds).toEqual([
      expect.objectContaining({ metric: 'output_tokens{step:pinger}', value: 7, passed: true }),
      expect.objectContaining({ metric: 'ttft_ms{step:pinger}', blocking: false, passed: false }),
    ]);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records).toHaveLength(40);
    for (const r of records) expect(r).toMatchObject({ kind: 'ping', stepName: 'pinger', outputTokens: 7 });
  });

  it('fails the run (exit 99) when the threshold on its samples fails', async () => {
    const { url } = await pingServer(8);
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', FIXTURE, '--out', out, '--quiet', '--workers', '2'], {
      env: { PING_TARGET: url },
      timeoutMs: 60_000,
    });
    expect(result.code).toBe(99);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary.thresholds[0]).toMatchObject({
      metric: 'output_tokens{step:pinger}',
      value: 8,
      passed: false,
    });
  });
});
