/**
 * `tokenstorm validate`: the plan it prints is the plan the run carries out
 * (its expected request count is compared with a real run's against the
 * embedded mock), and a bad file fails exactly as `run` fails it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const chat = `
mock: { ttft_ms: 5, itl_ms: 1, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
`;

async function planAndRun(dir: string, name: string, body: string) {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, body);
  const validated = await runCli(['validate', file, '--json']);
  expect(validated.stderr).toBe('');
  expect(validated.code).toBe(0);
  const plan = JSON.parse(validated.stdout);
  const out = join(dir, name);
  const ran = await runCli(['run', file, '--out', out, '--quiet', '--no-history', '--workers', '1']);
  expect(ran.code, ran.stderr).toBe(0);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  return { plan, summary };
}

describe('tokenstorm validate', () => {
  it('predicts the request count of a Poisson constant-arrival-rate test exactly', async () => {
    const dir = tempDir();
    const { plan, summary } = await planAndRun(
      dir,
      'constant',
      `name: constant\n${chat}load: { executor: constant-arrival-rate, rate: 15, arrival: poisson, duration: 2s }\n`,
    );
    expect(plan.load).toMatchObject({
      executor: 'constant-arrival-rate',
      model: 'open',
      iterations_kind: 'exact',
    });
    expect(plan.requests.kind).toBe('exact');
    // Poisson arrivals: the count is the seed's, not rate × duration; the run draws the same ones.
    expect(plan.requests.count).toBe(summary.counts.requests);
    expect(plan.requests.count).toBeGreaterThan(10);
  });

  it('predicts a staged ramping-arrival-rate test: its stages and its request count', async () => {
    const dir = tempDir();
    const { plan, summary } = await planAndRun(
      dir,
      'ramping',
      `name: ramping\n${chat}load:\n  executor: ramping-arrival-rate\n  start_rate: 5\n  stages:\n    - { name: up, target: 20, duration: 1s }\n    - { name: hold, target: 20, duration: 1s }\n`,
    );
    expect(plan.load.stages.map((s: { name: string }) => s.name)).toEqual(['up', 'hold']);
    expect(plan.load.duration_s).toBe(2);
    // 12.5 arrivals over the ramp and 20 over the hold, evenly spaced.
    expect(plan.requests).toEqual({ count: summary.counts.requests, kind: 'exact' });
    expect(plan.requests.count).toBeGreaterThanOrEqual(31);
    expect(plan.requests.count).toBeLessThanOrEqual(34);
  });

  it('prints the plan of an example: load, stages, scenarios, thresholds and the metrics they read', async () => {
    const result = await runCli(['validate', 'examples/spike.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('ramping-arrival-rate (open model)');
    expect(result.stdout).toMatch(/requests\s+exactly \d+/);
    expect(result.stdout).toMatch(/spike\s+10-20 s\s+target 50\/s/);
    const ci = await runCli(['validate', 'examples/ci-gate.yaml']);
    expect(ci.stdout).toContain('e2e_ms (scenario health): p99 < 500');
    expect(ci.stdout).toMatch(/chat\s+weight 4 \(80%\)/);
  });

  it('exits 2 on examples/bad.yaml with the message run gives', async () => {
    const validated = await runCli(['validate', 'examples/bad.yaml']);
    const ran = await runCli(['run', 'examples/bad.yaml', '--no-history']);
    expect(validated.code).toBe(2);
    expect(ran.code).toBe(2);
    expect(validated.stderr).toContain(
      'examples/bad.yaml: load.rate: expected a positive number, got "fast"',
    );
    expect(validated.stderr).toBe(ran.stderr);
    expect(validated.stdout).toBe('');
  });
});
