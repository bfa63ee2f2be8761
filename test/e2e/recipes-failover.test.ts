/**
 * Failover recipes: provider A goes down mid-test (an outage on its proxy,
 * switched by the test's timeline) behind (1) the example circuit-breaker
 * gateway and (2) the real `@portkey-ai/gateway` with a fallback config.
 * Which provider served is read from each mock's own request counter.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, type MockServer, startFaultProxy, startMockServer } from '../../src/sim/index.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { freePort, type ServedProcess, scrapeMetric, serveProcess } from '../support/servers.js';

let mockA: MockServer;
let mockB: MockServer;
let proxyA: FaultProxy;
let proxyB: FaultProxy;
const processes: ServedProcess[] = [];

beforeAll(async () => {
  // Short answers, so a request finishes (and counts) within ~0.1 s of arriving.
  const profile = { ttft_ms: 20, itl_ms: 5, output_tokens: 8 };
  mockA = await startMockServer({ profile });
  mockB = await startMockServer({ profile });
  proxyA = await startFaultProxy({ upstream: mockA.url });
  proxyB = await startFaultProxy({ upstream: mockB.url });
});

afterAll(async () => {
  await Promise.all(processes.map((p) => p.stop()));
  await Promise.all([proxyA, proxyB].map((p) => p?.close()));
  await Promise.all([mockA, mockB].map((m) => m?.close()));
});

const served = (m: MockServer) => scrapeMetric(`${m.url}/metrics`, 'vllm:request_success_total');

describe('failover through the example circuit-breaker gateway', () => {
  it('fails over to B within a bound, loses no request, and fails back after A recovers', async () => {
    const gateway = await serveProcess([
      'examples/apps/failover-gateway.mjs',
      '--primary',
      proxyA.url,
      '--fallback',
      proxyB.url,
      '--cooldown-ms',
      '1000',
    ]);
    processes.push(gateway);
    const out = join(tempDir(), 'run');
    const vars = {
      GATEWAY: gateway.url,
      PROXY_A: proxyA.url,
      PROXY_B: proxyB.url,
      MOCK_A: mockA.url,
      MOCK_B: mockB.url,
    };
    const env = Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const result = await runCli(['run', 'examples/recipes/failover.yaml', '--out', out, '--quiet', ...env]);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.errors).toBe(0);
    expect(summary.counts.requests).toBeGreaterThanOrEqual(95);
    const [event] = summary.events;
    expect(event).toMatchObject({ label: 'provider A down', proxy: 'providerA', for_s: 2 });
    expect(event.at).toBeGreaterThanOrEqual(1.5);
    expect(event.at).toBeLessThan(1.7);
    const { recovery } = event;
    // At 20 req/s the next request arrives within 50 ms of the outage, fails on A, is answered
    // by B (~60 ms) and counted at the next 100 ms scrape: well under 0.5 s.
    expect(recovery.failover_s).toBeGreaterThan(0);
    expect(recovery.failover_s).toBeLessThan(0.5);
    // The breaker probes A once per 1 s cooldown, so it fails back within 1 s plus a request and a scrape.
    expect(recovery.failback_s).toBeGreaterThan(0);
    expect(recovery.failback_s).toBeLessThan(1.5);
    expect(recovery.first_error_s).toBeNull();
    expect(recovery.lost).toBe(0);
    // events.jsonl holds the change and its revert, on the run clock.
    const lines = readFileSync(join(out, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const faults = lines.filter((l) => l.type === 'fault');
    expect(faults.map((l) => l.phase)).toEqual(['applied', 'reverted']);
    // The revert is due at the planned 1.5 + 2 s; the apply is stamped once the proxy answered, so on
    // a busy machine the gap between the stamps came out at 1,948.6 ms.
    // Never early; the upper bounds tell "on time" from "when the 5 s run ended", with room for a busy
    // machine's late timers.
    expect(faults[1].at).toBeGreaterThanOrEqual(3500);
    expect(faults[1].at).toBeLessThan(4500);
    expect(faults[1].at - faults[0].at).toBeLessThan(2900);
    // The timeline put the proxy back as it was.
    expect(proxyA.faults().faults).toEqual([]);
    const stats = await (await fetch(`${gateway.url}/__gateway/stats`)).json();
    expect(stats).toMatchObject({ opened: 1, closed: 1, state: 'closed' });
    expect(stats.fallback).toBeGreaterThan(20);
    // The report draws the event on the time charts.
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('provider A down');
  });
});

describe('failover through @portkey-ai/gateway (a gateway nobody here wrote)', () => {
  let portkey: ServedProcess;
  const config = () =>
    JSON.stringify({
      strategy: { mode: 'fallback' },
      targets: [
        { provider: 'openai', custom_host: `${proxyA.url}/v1`, api_key: 'sk-test-not-a-key' },
        { provider: 'openai', custom_host: `${proxyB.url}/v1`, api_key: 'sk-test-not-a-key' },
      ],
    });

  beforeAll(async () => {
    const port = await freePort();
    portkey = await serveProcess(
      ['node_modules/@portkey-ai/gateway/build/start-server.js', '--headless', `--port=${port}`],
      { ready: /Ready for connections/, url: `http://127.0.0.1:${port}` },
    );
    processes.push(portkey);
  });

  it('moves non-streaming traffic to the second upstream while the first is down', async () => {
    const out = join(tempDir(), 'run');
    const vars = {
      PORTKEY: portkey.url,
      PORTKEY_CONFIG: config(),
      PROXY_A: proxyA.url,
      MOCK_A: mockA.url,
      MOCK_B: mockB.url,
    };
    const env = Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const beforeA = await served(mockA);
    const beforeB = await served(mockB);
    const result = await runCli([
      'run',
      'examples/recipes/portkey-fallback.yaml',
      '--out',
      out,
      '--quiet',
      ...env,
    ]);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.errors).toBe(0);
    const recovery = summary.events[0].recovery;
    // B takes over within the 1 s outage (0.503 s once, with the suite's other files on the same two
    // cores, past an earlier bound of 0.5).
    expect(recovery.failover_s).toBeGreaterThan(0);
    expect(recovery.failover_s).toBeLessThan(1);
    // Portkey has no circuit breaker: it tries A first on every request, so A serves again at once.
    expect(recovery.failback_s).toBeGreaterThan(0);
    expect(recovery.failback_s).toBeLessThan(1);
    // 3 s at 20 req/s: ~2 s went to A (before and after the outage), the 1-s outage to B; each once.
    // Requests in flight when A goes down also end on B: on a slow machine 33 / 27 once. Without
    // failback A would serve ~20 (only before the outage), without failover B none.
    const byA = (await served(mockA)) - beforeA;
    const byB = (await served(mockB)) - beforeB;
    expect(byA + byB).toBe(summary.counts.ok);
    expect(byA).toBeGreaterThanOrEqual(30);
    expect(byA).toBeLessThanOrEqual(45);
    expect(byB).toBeGreaterThanOrEqual(15);
    expect(byB).toBeLessThanOrEqual(30);
    // The API key sent in the config header never reaches the run's files.
    expect(readFileSync(join(out, 'run.json'), 'utf8')).not.toContain('sk-test-not-a-key');
  });

  it('still fails streaming requests on Node 20 (500 "Something went wrong"): a fixed version shows up here', async () => {
    const res = await fetch(`${portkey.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-portkey-config': config() },
      body: JSON.stringify({
        model: 'mock-model',
        stream: true,
        max_tokens: 4,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    });
    const body = await res.text();
    // Its Node build appends to the immutable headers of a fetch() Response ("TypeError: immutable").
    expect({ status: res.status, body: JSON.parse(body) }).toEqual({
      status: 500,
      body: { status: 'failure', message: 'Something went wrong' },
    });
    expect(res.headers.get('x-portkey-gateway-exception')).toBe('true');
  });
});
