/**
 * What users saw versus what was sent, end to end through the CLI: logical
 * requests under retries (a seeded fault proxy answering half the chats with
 * 429 + Retry-After), per-step figures of the quickstart, `{step:NAME}`
 * thresholds, and the verdict of a run without thresholds whose every request
 * failed. Expectations are computed from records.jsonl, not hard-coded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, startMockServer } from '../../src/sim/index.js';
import { ROOT, runCli, stderrProblems, tempDir } from '../support/cli.js';
import { freePort } from '../support/servers.js';

interface Rec {
  scenario: string;
  step: number;
  vu: number;
  iteration: number;
  turn?: number;
  attempt?: number;
  outcome: string;
  sent: number;
  end: number;
  e2eMs?: number;
}

interface Stats {
  count: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
}

const readRecords = (dir: string): Rec[] =>
  readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Rec);

const readSummary = (dir: string) => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer({ profile: { ttft_ms: 20, itl_ms: 5, output_tokens: 4 } });
});
afterAll(() => mock.close());

describe('logical requests under retries', () => {
  it('counts what users saw (each logical request once, by its last attempt) apart from attempts', async () => {
    const port = await freePort();
    const dir = tempDir();
    const file = join(dir, 'retry.yaml');
    writeFileSync(
      file,
      `name: retries
target: http://127.0.0.1:${port}/v1
proxies:
  flaky:
    upstream: "${mock.url}"
    port: ${port}
    faults:
      seed: 3
      faults: [{ kind: rate_limit, match: "/v1/chat/completions", probability: 0.5, retry_after: 1s }]
scenarios:
  - name: chat
    retry: { max_attempts: 4, on: [rate_limited], respect_retry_after: true }
    steps:
      - chat: { model: m, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 10, duration: 3s }
`,
    );
    const out = join(dir, 'out');
    const res = await runCli(['run', file, '--out', out, '--quiet'], { timeoutMs: 90_000 });
    expect(stderrProblems(res.stderr)).toEqual([]);
    expect(res.code).toBe(0);
    const records = readRecords(out);
    const summary = readSummary(out);

    // Group the attempts of each logical request: one VU, one iteration, one step (and turn).
    const groups = new Map<string, Rec[]>();
    for (const r of records) {
      const key = `${r.scenario}/${r.vu}/${r.iteration}/${r.step}/${r.turn ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), r]);
    }
    const logical = [...groups.values()].map((list) =>
      list.sort((a, b) => (a.attempt ?? 1) - (b.attempt ?? 1)),
    );
    const last = logical.map((list) => list[list.length - 1] as Rec);
    expect(logical).toHaveLength(30);
    // The proxy refused some: more attempts than logical requests, and some logical requests recovered.
    expect(records.length).toBeGreaterThan(30);
    expect(logical.some((list) => list.length > 1 && list[list.length - 1]?.outcome === 'ok')).toBe(true);

    const attemptErrors = records.filter((r) => r.outcome === 'error').length;
    const logicalErrors = last.filter((r) => r.outcome === 'error').length;
    const logicalOk = last.filter((r) => r.outcome === 'ok').length;
    expect(summary.rates.error_rate).toBeCloseTo(attemptErrors / records.length, 12);
    expect(summary.logical).toMatchObject({
      requests: 30,
      ok: logicalOk,
      errors: logicalErrors,
      cancelled: 0,
      goodput_pct: Math.round((logicalOk / 30) * 100_000) / 1000,
    });
    expect(summary.logical.error_rate).toBeCloseTo(logicalErrors / 30, 12);
    expect(summary.rates.goodput_pct).toBe(Math.round((logicalOk / records.length) * 100_000) / 1000);
    expect(summary.logical.error_rate).toBeLessThan(summary.rates.error_rate);
    globalThis.console.log(
      `retries: ${records.length} attempts for 30 logical requests; error rate per attempt ${summary.rates.error_rate}, logical ${summary.logical.error_rate}; goodput_pct per attempt ${summary.rates.goodput_pct}, logical ${summary.logical.goodput_pct}`,
    );

    // A logical request's latency runs from its first send to its last end, Retry-After waits included.
    const latencies = logical
      .filter((list) => list[list.length - 1]?.outcome === 'ok')
      .map((list) => {
        const first = list[0] as Rec;
        const end = list[list.length - 1] as Rec;
        const ms = end.sent - first.sent + (end.e2eMs ?? end.end - end.sent);
        expect(ms).toBeGreaterThanOrEqual(1000 * (list.length - 1));
        return ms;
      });
    const e2eLogical = summary.metrics.e2e_logical_ms as Stats;
    expect(e2eLogical.count).toBe(logicalOk);
    expect(e2eLogical.max).toBeCloseTo(Math.max(...latencies), 0);
    expect(e2eLogical.max).toBeGreaterThanOrEqual(1000);
    expect((summary.metrics.ttft_logical_ms as Stats).max).toBeGreaterThanOrEqual(1000);
    expect((summary.metrics.e2e_ms as Stats).max).toBeLessThan(e2eLogical.max);

    // Offered load is the load model's arrivals: 30, however often they were retried.
    const windows = summary.windows as { requests: number; retries: number; dropped: number }[];
    expect(windows.reduce((n, w) => n + w.requests - w.retries + w.dropped, 0)).toBe(30);
    expect(windows.reduce((n, w) => n + w.retries, 0)).toBe(records.length - 30);

    // The console puts what users saw first, then the attempts.
    const console = res.stdout;
    const users = console.indexOf('logical (users)');
    expect(users).toBeGreaterThan(-1);
    expect(console.indexOf('attempts', users)).toBeGreaterThan(users);
    expect(console).toContain(`${((logicalErrors / 30) * 100).toFixed(2)}%`);

    // `tokenstorm report` rebuilds the same figures from records.jsonl.
    const rebuilt = await runCli(['report', out], { timeoutMs: 60_000 });
    expect(rebuilt.code).toBe(0);
    const again = readSummary(out);
    expect(again.logical).toEqual(summary.logical);
    expect(again.metrics.e2e_logical_ms).toEqual(summary.metrics.e2e_logical_ms);
  }, 120_000);
});

describe('per-step figures', () => {
  it('keeps the quickstart chat step and models step apart, and gates on {step:NAME}', async () => {
    const dir = tempDir();
    const file = join(dir, 'quickstart.yaml');
    const quickstart = readFileSync(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8');
    const head = quickstart.slice(0, quickstart.indexOf('\nthresholds:'));
    // The mock streams 64 tokens 10 ms apart, so a chat takes over 600 ms; GET /models is one small body.
    writeFileSync(
      file,
      `${head}
thresholds:
  "e2e_ms{step:chat:0}": ["p50 > 500", "p50 < 500"]
  "e2e_ms{step:http:1}": ["count > 0"]
  "ttft_ms{step:http:1}": ["count == 0"]
`,
    );
    const out = join(dir, 'out');
    const res = await runCli(['run', file, '--out', out, '--duration', '3s', '--quiet'], {
      timeoutMs: 90_000,
    });
    expect(stderrProblems(res.stderr)).toEqual([]);
    const summary = readSummary(out);
    const records = readRecords(out);
    expect(Object.keys(summary.steps)).toEqual(['chat:0', 'http:1']);
    const chat = summary.steps['chat:0'].metrics.e2e_ms as Stats;
    const models = summary.steps['http:1'].metrics.e2e_ms as Stats;
    const okOf = (step: number) => records.filter((r) => r.step === step && r.outcome === 'ok').length;
    expect(chat.count).toBe(okOf(0));
    expect(models.count).toBe(okOf(1));
    expect(chat.count + models.count).toBe(summary.metrics.e2e_ms.count);
    expect(chat.min).toBeGreaterThan(500);
    expect(summary.steps['chat:0'].kind).toBe('chat');
    expect(summary.steps['http:1'].kind).toBe('http');

    const results = summary.thresholds.map((t: { metric: string; expr: string; passed: boolean }) => [
      t.metric,
      t.expr,
      t.passed,
    ]);
    expect(results).toEqual([
      ['e2e_ms{step:chat:0}', 'p50 > 500', true],
      ['e2e_ms{step:chat:0}', 'p50 < 500', false],
      ['e2e_ms{step:http:1}', 'count > 0', true],
      ['ttft_ms{step:http:1}', 'count == 0', true],
    ]);
    expect(res.code).toBe(99);

    // The console has a per-step table with each step's own E2E percentiles.
    const lines = res.stdout.split('\n');
    const table = lines.slice(lines.findIndex((l) => l.startsWith('by step')));
    const row = (name: string) =>
      table
        .find((l) => l.startsWith(`${name} `))
        ?.trim()
        .split(/\s+/) ?? [];
    // step, requests, ok, errors, ttft p50, ttft p95, e2e p50, e2e p90, e2e p95
    expect(Number(row('chat:0')[6]?.replaceAll(',', ''))).toBeGreaterThan(500);
    expect(row('http:1')[4]).toBe('-');
    expect(Number(row('http:1')[1]?.replaceAll(',', ''))).toBe(summary.steps['http:1'].counts.requests);
  }, 120_000);
});

describe('verdict without thresholds', () => {
  let failing: Server;
  let url: string;
  beforeAll(async () => {
    failing = createServer((_req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"down"}');
    });
    await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
    const address = failing.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/v1`;
  });
  afterAll(() => new Promise<void>((resolve) => failing.close(() => resolve())));

  it('does not read PASSED when nothing was checked and every request failed; exit 0 as k6', async () => {
    const dir = tempDir();
    const file = join(dir, 'down.yaml');
    writeFileSync(
      file,
      `name: down
target: ${url}
scenarios:
  - name: chat
    steps:
      - chat: { model: m, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 2, duration: 1s }
`,
    );
    const out = join(dir, 'out');
    const res = await runCli(['run', file, '--out', out, '--quiet'], { timeoutMs: 60_000 });
    expect(res.code).toBe(0);
    const summary = readSummary(out);
    expect(summary.counts.errors).toBe(summary.counts.requests);
    expect(summary.counts.requests).toBeGreaterThan(0);
    expect(res.stdout).not.toContain('PASSED');
    expect(res.stdout).toContain(
      `no thresholds (${summary.logical.requests.toLocaleString('en-US')} requests, 100.00% errors): most requests failed`,
    );
    expect(res.stdout).toContain('goodput (no SLO: every ok request counts)');
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).not.toContain('>PASSED<');
    expect(html).toContain('NO THRESHOLDS');
  }, 60_000);
});
