/**
 * `tokenstorm bench <base-url>` against a `tokenstorm mock` server the test
 * starts on 127.0.0.1: open (--rate), closed (--concurrency) and --sweep
 * loads, a ShareGPT file sent as multi-turn sessions, `--print-test` giving a
 * file that validates and runs, and the run directory a file-based run writes.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../support/cli.js';
import { type Json, QUIET_RUN, recordsOf, summaryOf } from '../support/run-dir.js';
import { type ServedProcess, serveProcess } from '../support/servers.js';

let mock: ServedProcess;

beforeAll(async () => {
  mock = await serveProcess([BIN, 'mock', '--port', '0', '--host', '127.0.0.1'], { timeoutMs: 30_000 });
}, 40_000);

afterAll(() => mock?.stop());

/** `tokenstorm bench MOCK-URL --model mock-model ...args`. */
const bench = (...args: string[]) => runCli(['bench', mock.url, '--model', 'mock-model', ...args]);
/** The same, writing the run directory `out`, quietly, on one worker and without history. */
const benchRun = (out: string, ...args: string[]) => bench(...args, '--out', out, ...QUIET_RUN);
const records = (dir: string) => recordsOf<Json>(dir);

describe('tokenstorm bench', () => {
  it('--rate: leads with throughput, goodput and latency percentiles; --print-test gives a test that validates and runs into the same summary keys', async () => {
    const dir = tempDir('tokenstorm-bench-');
    const secret = 'sk-benchsecret0123456789abcdef';
    const flags = ['--rate', '8', '--duration', '2s', '--prompt-tokens', '40', '--output-tokens', '6'];
    const out = join(dir, 'bench');
    const ran = await benchRun(
      out,
      ...flags,
      '--slo',
      'ttft_ms=1000,tpot_ms=100',
      '-H',
      `Authorization: Bearer ${secret}`,
    );
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.split('\n')[0]).toMatch(/^tokenstorm bench {2}http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(ran.stdout).toMatch(/request throughput\s+\d+\.\d+ req\/s/);
    expect(ran.stdout).toMatch(/output throughput\s+\d+\.\d+ tokens\/s/);
    expect(ran.stdout).toMatch(/goodput\s+\d+\.\d+ req\/s \(100\.0% of requests met every --slo\)/);
    expect(ran.stdout).toMatch(/TTFT {2}ttft_ms(\s+\d+\.\d+){4}/);
    expect(ran.stdout).toContain('"ITL"');
    const summary = summaryOf(out);
    expect(summary.counts.errors).toBe(0);
    expect(summary.counts.requests).toBeGreaterThan(5);
    expect(summary.slo).toEqual({ ttft_ms: 1000, tpot_ms: 100 });
    // Exact synthetic prompt lengths, answers cut at --output-tokens.
    expect(summary.metrics.input_tokens).toMatchObject({ min: 40, max: 40 });
    expect(summary.metrics.output_tokens.max).toBe(6);
    for (const file of readdirSync(out)) expect(readFileSync(join(out, file), 'utf8')).not.toContain(secret);
    // The same benchmark as a file: it validates and runs, and its summary has the same sections.
    const printed = await bench(...flags, '-H', `Authorization: Bearer ${secret}`, '--print-test');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).not.toContain(secret);
    expect(printed.stdout).toContain('Authorization: ${AUTHORIZATION}');
    const file = join(dir, 'bench.yaml');
    writeFileSync(file, printed.stdout);
    const env = ['-e', `AUTHORIZATION=Bearer ${secret}`];
    const validated = await runCli(['validate', file, ...env]);
    expect(validated.code, validated.stderr).toBe(0);
    const fromFile = join(dir, 'file');
    const rerun = await runCli(['run', file, ...env, '--out', fromFile, ...QUIET_RUN]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(Object.keys(summary).sort()).toEqual(Object.keys(summaryOf(fromFile)).sort());
    expect(readdirSync(out).sort()).toEqual(readdirSync(fromFile).sort());
  });

  it('--concurrency with --requests sends exactly that many requests, N at a time', async () => {
    const out = join(tempDir('tokenstorm-bench-'), 'run');
    const ran = await benchRun(out, '--concurrency', '2', '--requests', '6', '--output-tokens', '4');
    expect(ran.code, ran.stderr).toBe(0);
    const summary = summaryOf(out);
    expect(summary.counts).toMatchObject({ requests: 6, ok: 6 });
    expect(new Set(records(out).map((r) => r.vu))).toEqual(new Set([0, 1]));
  });

  it('--sweep steps the rate and reports the capacity it found', async () => {
    const out = join(tempDir('tokenstorm-bench-'), 'run');
    const ran = await benchRun(
      out,
      '--sweep',
      '--sweep-start',
      '4',
      '--sweep-max',
      '8',
      '--step-duration',
      '1s',
      '--warmup',
      '0s',
      '--output-tokens',
      '4',
      '--slo',
      'ttft_ms=2000',
    );
    expect(ran.code, ran.stderr).toBe(0);
    const summary = summaryOf(out);
    expect(summary.sweep.steps.map((s: { offered: number }) => s.offered)).toEqual([4, 8]);
    expect(ran.stdout).toMatch(/capacity\s+at least 8 req\/s/);
  });

  it('--dataset ShareGPT: every user turn of each conversation is sent, as one growing session', async () => {
    const dir = tempDir('tokenstorm-bench-');
    const dataset = join(dir, 'sharegpt.json');
    const turn = (from: string, value: string) => ({ from, value });
    writeFileSync(
      dataset,
      JSON.stringify([
        {
          id: 'three',
          conversations: [
            turn('human', 'What is a load test?'),
            turn('gpt', 'Traffic.'),
            turn('human', 'And a soak test?'),
            turn('gpt', 'A long one.'),
            turn('human', 'A spike test?'),
            turn('gpt', 'A burst.'),
          ],
        },
        {
          id: 'two',
          conversations: [
            turn('human', 'Name a prime.'),
            turn('gpt', '7'),
            turn('human', 'Another one please?'),
            turn('gpt', '11'),
          ],
        },
        { id: 'none', conversations: [turn('gpt', 'no user turn: skipped')] },
      ]),
    );
    const out = join(dir, 'run');
    const ran = await benchRun(
      out,
      '--concurrency',
      '1',
      '--requests',
      '2',
      '--dataset',
      dataset,
      '--output-tokens',
      '5',
    );
    expect(ran.code, ran.stderr).toBe(0);
    const sent = records(out).sort((a, b) => a.iteration - b.iteration || a.turn - b.turn);
    expect(sent.map((r) => [r.iteration, r.turn])).toEqual([
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 1],
      [1, 2],
    ]);
    expect(sent.every((r) => r.outcome === 'ok' && r.scenario === 'sharegpt')).toBe(true);
    // Each turn carries the conversation so far: the context grows turn by turn.
    const context = sent.map((r) => r.contextTokens);
    expect(context[1]).toBeGreaterThan(context[0]);
    expect(context[2]).toBeGreaterThan(context[1]);
    expect(context[4]).toBeGreaterThan(context[3]);
    const plan = await bench('--concurrency', '1', '--requests', '2', '--dataset', dataset, '--print-test');
    expect(plan.stdout).toContain('user_messages_from: turns');
    expect(plan.stdout).toContain('format: sharegpt');
    // Its plan: 2 conversations of 3 and 2 turns, so about 5 requests, the 5 the run sent.
    const file = join(dir, 'sharegpt.yaml');
    writeFileSync(file, plan.stdout);
    const validated = await runCli(['validate', file, '--json']);
    expect(validated.code, validated.stderr).toBe(0);
    const planned = JSON.parse(validated.stdout);
    expect(planned.scenarios[0].feeder).toMatchObject({ rows: 2 });
    expect(planned.requests).toEqual({ count: sent.length, kind: 'about' });
  });

  it("--dataset of JSONL prompts sends them in order; an Azure trace sends its rows' lengths", async () => {
    const dir = tempDir('tokenstorm-bench-');
    const prompts = join(dir, 'prompts.jsonl');
    writeFileSync(prompts, '{"prompt":"one"}\n{"prompt":"two words here and more"}\n');
    const out = join(dir, 'prompts');
    const ran = await benchRun(
      out,
      '--concurrency',
      '1',
      '--requests',
      '3',
      '--dataset',
      prompts,
      '--output-tokens',
      '4',
    );
    expect(ran.code, ran.stderr).toBe(0);
    const sent = records(out).sort((a, b) => a.iteration - b.iteration);
    const lengths = sent.map((r) => r.inputTokensClient);
    expect(lengths[0]).toBe(lengths[2]);
    expect(lengths[1]).toBeGreaterThan(lengths[0]);
    const trace = join(dir, 'trace');
    const replay = await benchRun(
      trace,
      '--rate',
      '20',
      '--requests',
      '4',
      '--dataset',
      join(ROOT, 'examples/data/azure-conv-2023-slice.csv'),
    );
    expect(replay.code, replay.stderr).toBe(0);
    // The slice's first row: 374 context tokens, 44 generated (the mock server caps answers at 64).
    const first = records(trace).find((r) => r.iteration === 0);
    expect(first).toMatchObject({ inputTokens: 374, outputTokens: 44, outcome: 'ok' });
  });

  it('refuses a bench it cannot build: exit 2 naming the flag', async () => {
    const none = await bench();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(
      'expected one of --rate R (open model), --concurrency N (closed model) or --sweep',
    );
    const arrival = await runCli(['bench', '--mock', '--rate', '5', '--arrival', 'bursty']);
    expect(arrival.code).toBe(2);
    expect(arrival.stderr).toContain('--arrival: expected poisson, constant or gamma:BURSTINESS');
  });
});
