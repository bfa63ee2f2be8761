/**
 * `tokenstorm predict-check` against a real short staged run: a synthetic
 * production file gives the error the run's own stages imply (computed here
 * from its summary.json), in CSV and as a Prometheus export; the errors are
 * stored per release, and drift is flagged after three releases in a row off
 * by more than 15%.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const dir = tempDir('tokenstorm-predict-');
const run = join(dir, 'run');
const history = join(dir, 'history.db');

interface Stage {
  flow: { completed_per_s: number };
  metrics: { e2e_ms: { p95: number; p99: number } };
}
interface Output {
  release: string;
  rows: {
    endpoint: string;
    quantile: string;
    rps: number;
    predicted: number | null;
    observed: number;
    error: number | null;
  }[];
  drift?: { drifted: boolean };
}

let low: Stage;
let high: Stage;
/** The run's p95/p99 at `rate`, by the straight line between its two stages. */
function expected(rate: number, q: 'p95' | 'p99'): number {
  const t = (rate - low.flow.completed_per_s) / (high.flow.completed_per_s - low.flow.completed_per_s);
  return low.metrics.e2e_ms[q] + t * (high.metrics.e2e_ms[q] - low.metrics.e2e_ms[q]);
}

beforeAll(async () => {
  const test = join(dir, 'test.yaml');
  writeFileSync(
    test,
    `name: predict-e2e
mock: { ttft_ms: { dist: normal, mean: 30, stddev: 8 }, itl_ms: 2, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load:
  executor: ramping-arrival-rate
  start_rate: 10
  stages: [{ target: 10, duration: 1s }, { target: 40, duration: 1s }]
`,
  );
  const result = await runCli(['run', test, '--out', run, '--quiet', '--no-history']);
  expect(result.code, result.stderr).toBe(0);
  const stages = (JSON.parse(readFileSync(join(run, 'summary.json'), 'utf8')) as { stages: Stage[] }).stages;
  expect(stages).toHaveLength(2);
  [low, high] = [...stages].sort((a, b) => a.flow.completed_per_s - b.flow.completed_per_s) as [Stage, Stage];
  expect(high.flow.completed_per_s).toBeGreaterThan(low.flow.completed_per_s);
}, 120_000);

async function check(production: string, release: string, extra: string[] = []): Promise<Output> {
  const result = await runCli([
    'predict-check',
    run,
    '--production',
    production,
    '--release',
    release,
    '--history',
    history,
    '--json',
    ...extra,
  ]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Output;
}

/** A production file whose observed p95/p99 are the prediction × `factor`, at a rate between the stages. */
function productionCsv(name: string, factor: number): { file: string; rate: number } {
  const rate = low.flow.completed_per_s + 0.4 * (high.flow.completed_per_s - low.flow.completed_per_s);
  const file = join(dir, name);
  // Two rows, rates either side of `rate`: the level is their median.
  writeFileSync(
    file,
    `endpoint,timestamp,rps,p95_ms,p99_ms
chat,2026-12-07T10:00:00Z,${rate - 1},${expected(rate, 'p95') * factor},${expected(rate, 'p99') * factor}
chat,2026-12-07T10:01:00Z,${rate + 1},${expected(rate, 'p95') * factor},${expected(rate, 'p99') * factor}
`,
  );
  return { file, rate };
}

describe('predict-check', () => {
  it('gives the error the run implies at the production traffic level (CSV)', async () => {
    // Observed 25% above what the run predicts: error = 1/1.25 - 1 = -20%.
    const { file, rate } = productionCsv('prod.csv', 1.25);
    const out = await check(file, 'r1');
    expect(out.rows).toHaveLength(2);
    for (const row of out.rows) {
      const q = row.quantile as 'p95' | 'p99';
      expect(row.rps).toBeCloseTo(rate, 2);
      expect(row.predicted).toBeCloseTo(expected(rate, q), 1);
      expect(row.observed).toBeCloseTo(expected(rate, q) * 1.25, 1);
      expect(row.error).toBeCloseTo(1 / 1.25 - 1, 3);
    }
    expect(out.drift?.drifted).toBe(false);
  });

  it('reads a Prometheus range-query export (latency in seconds, quantile label)', async () => {
    const rate = (low.flow.completed_per_s + high.flow.completed_per_s) / 2;
    const series = (labels: Record<string, string>, value: number) => ({
      metric: { handler: '/v1/chat/completions', ...labels },
      values: [
        [1765101600, String(value)],
        [1765101660, String(value)],
      ],
    });
    const file = join(dir, 'prom.json');
    writeFileSync(
      file,
      JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            series({}, rate),
            series({ quantile: '0.95' }, (expected(rate, 'p95') * 0.8) / 1000),
            series({ quantile: '0.99' }, (expected(rate, 'p99') * 0.8) / 1000),
          ],
        },
      }),
    );
    const out = await check(file, 'prom-check', ['--no-history']);
    expect(out.rows.map((r) => r.endpoint)).toEqual(['/v1/chat/completions', '/v1/chat/completions']);
    for (const row of out.rows) expect(row.error).toBeCloseTo(1 / 0.8 - 1, 3);
    expect(out.drift).toBeUndefined();
  });

  it('flags drift after three releases in a row off by more than 15%, and only then', async () => {
    // r1 (the first test) was off by -20%; r2 makes two releases in a row: no drift yet; r3 makes three.
    // (A release back on target between them resets the count: analysis/predict.test.ts.)
    const off = productionCsv('off.csv', 1.3).file;
    expect((await check(off, 'r2')).drift?.drifted).toBe(false);
    const flagged = await runCli([
      'predict-check',
      run,
      '--production',
      off,
      '--release',
      'r3',
      '--history',
      history,
      '--fail-on',
      'drift',
    ]);
    expect(flagged.code, flagged.stderr).toBe(99);
    expect(flagged.stdout).toContain('the test environment has drifted from production');
    expect(flagged.stdout).toMatch(/r1 -20\.0%, r2 -23\.\d%, r3 -23\.\d%/);
  });

  it('refuses a file it cannot read as production latency (exit 2)', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'endpoint,p95_ms\nchat,100\n');
    const result = await runCli([
      'predict-check',
      run,
      '--production',
      bad,
      '--release',
      'x',
      '--no-history',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad.csv: no requests/s');
  });
});
