/**
 * Recipes with example apps in front of the mock: graceful degradation as the
 * engine's queue deepens, and a cache's thundering herd with and without
 * request coalescing. The apps run as their own processes, as users run them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMockProfile, type MockServer, startMockServer } from '../../src/sim/index.js';
import { ROOT, runCli, stderrProblems, tempDir } from '../support/cli.js';
import { type ServedProcess, serveProcess } from '../support/servers.js';

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanup.map((c) => c()));
  cleanup = [];
});

async function mockWith(profileFile: string): Promise<MockServer> {
  const mock = await startMockServer({ profile: await loadMockProfile(join(ROOT, profileFile)) });
  cleanup.push(() => mock.close());
  return mock;
}

async function app(args: string[]): Promise<ServedProcess> {
  const served = await serveProcess(args);
  cleanup.push(() => served.stop());
  return served;
}

async function runRecipe(file: string, vars: Record<string, string>) {
  const out = join(tempDir(), 'run');
  const env = Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const result = await runCli(['run', file, '--out', out, '--quiet', ...env]);
  expect(stderrProblems(result.stderr)).toEqual([]);
  expect(result.code).toBe(0);
  return JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
}

describe('graceful degradation recipe (examples/apps/degrading-app.mjs)', () => {
  it('reaches the cheaper model, then the template answer, in order as load ramps, with no errors', async () => {
    const mock = await mockWith('examples/profiles/degradation-engine.yaml');
    const degrading = await app(['examples/apps/degrading-app.mjs', '--upstream', mock.url]);
    const summary = await runRecipe('examples/recipes/degradation.yaml', {
      APP: degrading.url,
      MOCK: mock.url,
    });
    expect(summary.counts.errors).toBe(0);
    const { changes, served } = await (await fetch(`${degrading.url}/__app/levels`)).json();
    const firstAt = (level: number) => changes.find((c: { level: number }) => c.level === level);
    const cheap = firstAt(1);
    const template = firstAt(2);
    expect(cheap).toBeDefined();
    expect(template).toBeDefined();
    // In order: the cheaper model first, the template later, each when the queue reached its threshold.
    expect(cheap.at_ms).toBeLessThan(template.at_ms);
    expect(changes.indexOf(cheap)).toBeLessThan(changes.indexOf(template));
    expect(cheap.waiting).toBeGreaterThanOrEqual(4);
    expect(template.waiting).toBeGreaterThanOrEqual(12);
    // Every level answered users; the queue the app reacted to is in the run's telemetry.
    expect(served.every((n: number) => n > 0)).toBe(true);
    const waiting = summary.telemetry.find((t: { name: string }) => t.name === 'vllm:num_requests_waiting');
    expect(Math.max(...waiting.points.map((p: [number, number]) => p[1]))).toBeGreaterThanOrEqual(4);
  });
});

describe('cache thundering herd recipe (examples/apps/cache-app.mjs)', () => {
  for (const coalesce of [false, true]) {
    const perRefill = coalesce ? 1 : 20;
    it(`calls the model ${perRefill} time(s) per expiry of the popular key ${coalesce ? 'with' : 'without'} coalescing`, async () => {
      const mock = await mockWith('examples/profiles/slow-model.yaml');
      const cache = await app([
        'examples/apps/cache-app.mjs',
        '--upstream',
        mock.url,
        '--ttl-ms',
        '1000',
        ...(coalesce ? ['--coalesce'] : []),
      ]);
      const summary = await runRecipe('examples/recipes/thundering-herd.yaml', {
        APP: cache.url,
        MOCK: mock.url,
      });
      expect(summary.counts.errors).toBe(0);
      const stats = await (await fetch(`${cache.url}/__app/stats`)).json();
      // 2.5 s with a 1 s TTL and 0.2 s refills: the cold start and at least one expiry.
      expect(stats.refills.length).toBeGreaterThanOrEqual(2);
      // Every refill but possibly one cut by the end of the run drew the whole herd (20 users) or 1 call.
      const calls = stats.refills.map((r: { calls: number }) => r.calls);
      expect(calls.slice(0, -1).every((n: number) => n === perRefill)).toBe(true);
      expect(calls.at(-1)).toBeLessThanOrEqual(perRefill);
      // The model's own counters agree with the app's.
      expect(mock.stats().completed).toBe(stats.upstreamCalls);
      const served = summary.telemetry.find((t: { name: string }) => t.name === 'vllm:request_success_total');
      expect(served.points.at(-1)[1]).toBe(stats.upstreamCalls);
    });
  }
});
