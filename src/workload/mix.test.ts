import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { RunAggregator } from '../metrics/index.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('scenario mix', () => {
  it('sends a 70/20/10 mix within ±3 points over 2,000 iterations, with per-scenario metrics', async () => {
    const seen = new Map<string, number>();
    server = await startFixtureServer((req, res) => {
      seen.set(req.url ?? '', (seen.get(req.url ?? '') ?? 0) + 1);
      res.end('ok');
    });
    const workload = workloadFor(
      {
        seed: 11,
        scenarios: [
          { name: 'qa', weight: 70, steps: [{ http: { url: '/qa' } }] },
          { name: 'summarise', weight: 20, steps: [{ http: { url: '/summarise' } }] },
          { name: 'chat', weight: 10, steps: [{ http: { url: '/chat' } }] },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 2000, vus: 8 });
    expect(records).toHaveLength(2000);
    // Counted where the requests arrived, not from our own bookkeeping.
    const share = (path: string) => ((seen.get(path) ?? 0) / 2000) * 100;
    expect(Math.abs(share('/qa') - 70)).toBeLessThanOrEqual(3);
    expect(Math.abs(share('/summarise') - 20)).toBeLessThanOrEqual(3);
    expect(Math.abs(share('/chat') - 10)).toBeLessThanOrEqual(3);
    const aggregator = new RunAggregator();
    for (const r of records) aggregator.add(r);
    const summary = aggregator.snapshot({ name: 't', startedAt: '', durationS: 1 });
    expect(summary.scenarios.qa?.counts.requests).toBe(seen.get('/qa'));
    expect(summary.scenarios.chat?.counts.requests).toBe(seen.get('/chat'));
    expect(summary.rates.retry_amplification).toBe(1);
  });

  it('picks the same scenario for an iteration whatever the worker (a pure function of seed and iteration)', () => {
    const test = {
      seed: 5,
      scenarios: [
        { name: 'a', weight: 1, steps: [{ http: { url: '/a' } }] },
        { name: 'b', weight: 1, steps: [{ http: { url: '/b' } }] },
      ],
    };
    const w0 = workloadFor(test, 'http://127.0.0.1:9', { workerIndex: 0, workerCount: 2 });
    const w1 = workloadFor(test, 'http://127.0.0.1:9', { workerIndex: 1, workerCount: 2 });
    const picks = (w: typeof w0) => Array.from({ length: 50 }, (_, i) => w.scenarioFor(i).name);
    expect(picks(w0)).toEqual(picks(w1));
    expect(new Set(picks(w0))).toEqual(new Set(['a', 'b']));
  });
});
