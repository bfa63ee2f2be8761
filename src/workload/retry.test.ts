import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { RunAggregator } from '../metrics/index.js';
import { createRng } from '../random/index.js';
import { backoffMs, parseRetryAfter, type RetryPolicy } from './retry-policy.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  max_attempts: 3,
  on: ['rate_limited', 'http_5xx', 'connection'],
  backoff: { initial: 100, multiplier: 2, max: 1000, jitter: 'none' },
  respect_retry_after: true,
  max_retry_after: 60_000,
  ...over,
});

describe('retry policy', () => {
  it('backs off exponentially, capped, with full or equal jitter', () => {
    const p = policy();
    expect([1, 2, 3, 4, 5].map((a) => backoffMs(p, a, createRng(1)))).toEqual([100, 200, 400, 800, 1000]);
    const rng = createRng(2);
    const full = Array.from({ length: 2000 }, () =>
      backoffMs(policy({ backoff: { ...p.backoff, jitter: 'full' } }), 3, rng),
    );
    expect(Math.min(...full)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...full)).toBeLessThanOrEqual(400);
    expect(full.reduce((a, b) => a + b, 0) / full.length).toBeCloseTo(200, -1);
    const equal = Array.from({ length: 2000 }, () =>
      backoffMs(policy({ backoff: { ...p.backoff, jitter: 'equal' } }), 3, rng),
    );
    expect(Math.min(...equal)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...equal)).toBeLessThanOrEqual(400);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z');
    expect(parseRetryAfter({ 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfter({ 'retry-after': '0.5' }, now)).toBe(500);
    expect(parseRetryAfter({ 'retry-after': 'Mon, 01 Jan 2024 00:00:03 GMT' }, now)).toBe(3000);
    expect(parseRetryAfter({ 'retry-after': 'soon' }, now)).toBeUndefined();
    expect(parseRetryAfter({}, now)).toBeUndefined();
  });
});

describe('retries over HTTP', () => {
  it('honours Retry-After in seconds: the retry is sent no sooner than the header says', async () => {
    let calls = 0;
    server = await startFixtureServer((_req, res) => {
      calls++;
      if (calls === 1) res.writeHead(429, { 'retry-after': '1' }).end('slow down');
      else res.end('ok');
    });
    const workload = workloadFor(
      { scenarios: [{ name: 's', steps: [{ http: { url: '/x' } }], retry: { max_attempts: 3 } }] },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records.map((r) => [r.attempt, r.outcome, r.error])).toEqual([
      [1, 'error', 'rate_limited'],
      [2, 'ok', undefined],
    ]);
    const gap = (records[1]?.sent as number) - (records[0]?.end as number);
    expect(gap).toBeGreaterThanOrEqual(1000);
    expect(gap).toBeLessThan(1300);
    // The retry was wanted when the wait ended, so it shows (almost) no scheduling lag.
    expect(records[1]?.schedulingLagMs).toBeLessThan(50);
    // Only the last attempt stands for the logical request, with when its first attempt was sent.
    expect(records[0]?.logicalSent).toBeUndefined();
    expect(records[1]?.logicalSent).toBe(records[0]?.sent);
    expect(records[0]?.stepName).toBe('http:0');
  });

  it('honours Retry-After as an HTTP date: the retry reaches the server after that date', async () => {
    const arrivals: number[] = [];
    let retryAt = 0;
    server = await startFixtureServer((_req, res) => {
      arrivals.push(Date.now());
      if (arrivals.length === 1) {
        retryAt = (Math.floor(Date.now() / 1000) + 2) * 1000;
        res.writeHead(503, { 'retry-after': new Date(retryAt).toUTCString() }).end();
      } else res.end('ok');
    });
    const workload = workloadFor(
      { scenarios: [{ name: 's', steps: [{ http: { url: '/x' } }], retry: { on: ['http_5xx'] } }] },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records.map((r) => r.outcome)).toEqual(['error', 'ok']);
    expect(arrivals[1]).toBeGreaterThanOrEqual(retryAt);
  });

  it('records every attempt and computes retry_amplification exactly', async () => {
    const attempts = new Map<string, number>();
    server = await startFixtureServer((req, res) => {
      const n = (attempts.get(req.url ?? '') ?? 0) + 1;
      attempts.set(req.url ?? '', n);
      // Item i fails its first (i mod 3) attempts with a 503.
      const item = Number((req.url ?? '').split('/').pop());
      if (n <= item % 3) res.writeHead(503).end('busy');
      else res.end('ok');
    });
    const workload = workloadFor(
      {
        scenarios: [
          {
            name: 's',
            steps: [{ http: { url: '/item/{{ iteration }}' } }],
            retry: { max_attempts: 2, backoff: { initial: '10ms', jitter: 'none' } },
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 6, vus: 3 });
    // Items 0,3: 1 attempt; 1,4: 2 (fail, ok); 2,5: 2 (fail, fail: max_attempts reached).
    expect(records).toHaveLength(10);
    const byIteration = (i: number) =>
      records.filter((r) => r.iteration === i).map((r) => [r.attempt, r.outcome]);
    expect(byIteration(1)).toEqual([
      [1, 'error'],
      [2, 'ok'],
    ]);
    expect(byIteration(2)).toEqual([
      [1, 'error'],
      [2, 'error'],
    ]);
    const aggregator = new RunAggregator();
    for (const r of records) aggregator.add(r);
    const summary = aggregator.snapshot({ name: 't', startedAt: '', durationS: 1 });
    expect(summary.rates.retry_amplification).toBe(10 / 6);
    expect(summary.scenarios.s?.rates.retry_amplification).toBe(10 / 6);
    expect(summary.counts).toMatchObject({ requests: 10, ok: 4, errors: 6 });
  });

  it('does not retry error kinds the policy does not name', async () => {
    server = await startFixtureServer((_req, res) => res.writeHead(404).end());
    const workload = workloadFor(
      { scenarios: [{ name: 's', steps: [{ http: { url: '/x' } }], retry: { max_attempts: 5 } }] },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records.map((r) => [r.attempt, r.error])).toEqual([[1, 'http_4xx']]);
  });
});
