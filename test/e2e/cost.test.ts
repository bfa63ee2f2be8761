/**
 * Cost, budget caps and the per-model breakdown through the real CLI
 * (docs/cost.md): a budget stops a run before its cap with exit 98 and a
 * complete run directory; a router fixture on 127.0.0.1 that answers with a
 * dearer model as concurrency rises shows the shift per stage and the cost
 * linearity flag; `--model` and `--sample` pick the model and the iterations.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseTest } from '../../src/config/index.js';
import { Workload } from '../../src/workload/index.js';
import { runCli, tempDir } from '../support/cli.js';
import { type FixtureServer, readBody, startFixtureServer } from '../support/fixture-server.js';

interface Rec {
  iteration: number;
  model?: string;
  outcome: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  costUsd?: number;
}

function records(dir: string): Rec[] {
  return readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Rec);
}

function summary(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
}

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('cost and budgets', () => {
  it('a budget cap stops the run before it is crossed: exit 98, final cost <= cap, the run directory complete', async () => {
    const dir = tempDir();
    const file = join(dir, 'budget.yaml');
    // Each request: 20 output tokens at $2,000/M = $0.04 plus its prompt at $1,000/M, so the
    // $0.50 cap holds about ten; four VUs on two workers keep several in flight when it is reached.
    writeFileSync(
      file,
      `name: budget
target: mock
mock: { ttft_ms: 20, itl_ms: 2, output_tokens: 20 }
pricing:
  mock-model: { input: 1000, output: 2000 }
budget: { max_cost_usd: 0.5 }
scenarios:
  - name: s
    steps:
      - chat: { model: mock-model, max_tokens: 20, messages: [{ role: user, content: "Hello there, how are you?" }] }
load: { executor: constant-vus, vus: 4, duration: 5s }
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', file, '--out', out, '-q', '--no-history', '--workers', '2']);
    expect(result.code, result.stderr).toBe(98);
    expect(result.stderr).toMatch(/run aborted: budget: .*max_cost_usd 0\.5/);
    for (const name of ['run.json', 'records.jsonl', 'summary.json', 'report.html', 'events.jsonl'])
      expect(existsSync(join(out, name)), name).toBe(true);
    const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(info.ended.complete).toBe(false);
    const s = summary(out);
    expect(s.complete).toBe(false);
    expect(s.incomplete).toMatch(/budget/);
    expect(s.cost.budget).toMatchObject({ max_cost_usd: 0.5, stopped: expect.stringMatching(/^budget:/) });
    // Hand-computed from the server's usage in each record, to the cent.
    const recs = records(out);
    const hand = recs
      .filter((r) => r.outputTokens !== undefined)
      .reduce((sum, r) => sum + ((r.inputTokens ?? 0) * 1000 + (r.outputTokens ?? 0) * 2000) / 1e6, 0);
    expect(hand).toBeGreaterThan(0.3);
    expect(Math.round(s.cost.total_usd * 100)).toBe(Math.round(hand * 100));
    expect(s.cost.total_usd).toBeCloseTo(hand, 6);
    expect(s.cost.total_usd).toBeLessThanOrEqual(0.5);
    expect(s.cost.estimated).toBe(0);
    expect(s.models['mock-model'].priced).toBe(recs.length);
    expect(result.stdout).toMatch(/cost/);
  }, 60_000);

  it('a router that answers with a dearer model under load shows the shift per stage and the linearity flag', async () => {
    // The gateway's body names itself; the header names the upstream model. One request in
    // flight: always `cheap`; with n in flight, n − 1 of every 4 go to `expensive` (all of them from 5 on).
    let inFlight = 0;
    let seq = 0;
    server = await startFixtureServer((req: IncomingMessage, res: ServerResponse) => {
      inFlight++;
      const expensive = seq++ % 4 < inFlight - 1;
      const model = expensive ? 'expensive' : 'cheap';
      void readBody(req).then(() => {
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'application/json', 'x-upstream-model': model });
          res.end(
            JSON.stringify({
              id: 'r',
              object: 'chat.completion',
              model: 'auto',
              choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
              usage: {
                prompt_tokens: 10,
                completion_tokens: 20,
                prompt_tokens_details: { cached_tokens: 4 },
              },
            }),
          );
        }, 60);
      });
    });
    const dir = tempDir();
    const file = join(dir, 'router.yaml');
    writeFileSync(
      file,
      `name: router
target: ${server.url}/v1
model_header: x-upstream-model
pricing:
  cheap: { input: 1000, cached_input: 500, output: 2000 }
  expensive: { input: 10000, cached_input: 5000, output: 20000 }
scenarios:
  - name: s
    steps:
      - chat: { model: auto, stream: false, max_tokens: 20, messages: [{ role: user, content: "route me" }] }
load:
  executor: ramping-vus
  start_vus: 1
  stages: [{ duration: 1.5s, target: 1 }, { duration: 1.5s, target: 6 }]
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', file, '--out', out, '-q', '--no-history', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const s = summary(out);
    const [light, heavy] = s.model_stages;
    expect(light.share).toEqual({ cheap: 1 });
    expect(heavy.share.expensive).toBeGreaterThan(0.3);
    expect(s.models.cheap.counts.requests + s.models.expensive.counts.requests).toBe(s.counts.requests);
    // A cached prompt token at the cached price: (6 × 1000 + 4 × 500 + 20 × 2000) / 1e6 = $0.048.
    expect(s.cost.by_model.cheap.per_request_usd).toBe(0.048);
    expect(s.cost.by_model.expensive.per_request_usd).toBe(0.48);
    const hand = 0.048 * s.models.cheap.counts.ok + 0.48 * s.models.expensive.counts.ok;
    expect(Math.round(s.cost.total_usd * 100)).toBe(Math.round(hand * 100));
    expect(s.cost.linearity.verdict).toBe('grows');
    expect(s.cost.linearity.by_load.map((x: { load: number }) => x.load)).toEqual([1, 6]);
    expect(s.cost.notes.join('\n')).toMatch(/grows with load/);
    for (const r of records(out)) expect(['cheap', 'expensive']).toContain(r.model);
    // The report shows the same figures, each under its summary.json path.
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<h2>Cost and models</h2>');
    expect(html).toContain(`data-metric="cost.total_usd" data-value="${s.cost.total_usd}"`);
    expect(html).toContain('data-verdict="grows"');
  }, 60_000);

  it("--model replaces every model step's model and --sample runs the seed's fraction of iterations", async () => {
    const dir = tempDir();
    const file = join(dir, 'sample.yaml');
    const yaml = `name: sample
target: mock
seed: 11
mock: { ttft_ms: 2, itl_ms: 1, output_tokens: 4 }
scenarios:
  - name: s
    steps:
      - chat: { model: primary-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: shared-iterations, vus: 4, iterations: 40 }
`;
    writeFileSync(file, yaml);
    const out = join(dir, 'run');
    const result = await runCli([
      'run',
      file,
      '--out',
      out,
      '-q',
      '--no-history',
      '--model',
      'cheap-model',
      '--sample',
      '0.25',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const recs = records(out);
    expect(new Set(recs.map((r) => r.model))).toEqual(new Set(['cheap-model']));
    expect(Object.keys(summary(out).models)).toEqual(['cheap-model']);
    // The iterations that ran are the ones the seed picks, whichever worker took them.
    const workload = new Workload(
      parseTest({ ...yamlTest(), sample: 0.25 }, 'inline'),
      'http://127.0.0.1:1/v1',
    );
    const expected = Array.from({ length: 40 }, (_, i) => i).filter((i) => workload.sampled(i));
    expect(expected.length).toBeGreaterThan(2);
    expect(expected.length).toBeLessThan(20);
    expect(recs.map((r) => r.iteration).sort((a, b) => a - b)).toEqual(expected);
  }, 60_000);

  it('rejects a bad price or budget with exit 2 naming the field', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      `name: bad
target: mock
pricing:
  mock-model: { input: -1, output: 2 }
scenarios:
  - name: s
    steps: [{ chat: { model: mock-model, messages: [{ role: user, content: hi }] } }]
load: { executor: constant-vus, vus: 1, duration: 1s }
`,
    );
    const bad = await runCli(['run', file, '--no-history', '-q']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/pricing\.mock-model\.input/);
    expect(bad.stderr).toMatch(/USD per million tokens/);
    const flag = await runCli(['run', file, '--no-history', '-q', '--sample', '2']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--sample/);
  }, 60_000);
});

/** The --sample test's file as an object (what the workload is built from). */
function yamlTest() {
  return {
    name: 'sample',
    target: 'mock',
    seed: 11,
    scenarios: [
      {
        name: 's',
        steps: [
          { chat: { model: 'primary-model', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] } },
        ],
      },
    ],
    load: { executor: 'shared-iterations', vus: 4, iterations: 40 },
  };
}
