/**
 * Recipes against the embedded mock engine, proven by its own /metrics
 * scraped during the run (summary.json → telemetry): cancellation frees
 * slots and stops generation; queue and KV cache fill as load passes capacity.
 * In the solo pass: the mock engine's steps are timers, and on a machine busy
 * with other test files they run late, so its real capacity falls below the
 * one the queue test computes from its profile (its KV usage in the first
 * second, below capacity, reached 0.65-0.98 against < 0.5).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseMockProfile, theoreticalCapacity } from '../../src/sim/index.js';
import { ROOT, runCli, stderrProblems, tempDir } from '../support/cli.js';

type Series = { name: string; points: [number, number][] };

async function run(example: string) {
  const out = join(tempDir(), 'run');
  const result = await runCli(['run', `examples/${example}`, '--out', out, '--quiet']);
  expect(stderrProblems(result.stderr)).toEqual([]);
  expect(result.code).toBe(0);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
  const series = (name: string): [number, number][] =>
    (summary.telemetry as Series[]).find((t) => t.name === name)?.points ?? [];
  return { summary, series };
}

describe('cancellation recipe (examples/cancellation.yaml)', () => {
  it("the mock's aborted counter equals the client's cancellations, generation stops, and slots are freed", async () => {
    const { summary, series } = await run('cancellation.yaml');
    const { ok, cancelled, errors } = summary.counts;
    expect(errors).toBe(0);
    // 30% of 45 requests: the seeded draw cancels between 8 and 20 of them.
    expect(cancelled).toBeGreaterThanOrEqual(8);
    expect(cancelled).toBeLessThanOrEqual(20);
    expect(series('tokenstorm:requests_aborted_total').at(-1)?.[1]).toBe(cancelled);
    // Slots were full during the run and are all free at the end.
    const running = series('vllm:num_requests_running');
    expect(Math.max(...running.map((p) => p[1]))).toBeGreaterThan(0);
    expect(running.at(-1)?.[1]).toBe(0);
    expect(series('vllm:num_requests_waiting').at(-1)?.[1]).toBe(0);
    // Generation stopped: full answers are 64 tokens; a cancelled one got at most 30 (+ a step or two in flight).
    const generated = series('vllm:generation_tokens_total').at(-1)?.[1] ?? 0;
    expect(generated).toBeGreaterThanOrEqual(ok * 64);
    expect(generated).toBeLessThanOrEqual(ok * 64 + cancelled * 34);
    expect(generated).toBeLessThan((ok + cancelled) * 64);
  });
});

describe('queue build-up recipe (examples/queue-buildup.yaml)', () => {
  it('shows waiting requests and KV-cache usage rising once the offered rate passes capacity', async () => {
    const { summary, series } = await run('queue-buildup.yaml');
    expect(summary.counts.errors).toBe(0);
    const test = parseYaml(readFileSync(join(ROOT, 'examples/queue-buildup.yaml'), 'utf8'));
    const capacity = theoreticalCapacity(parseMockProfile(test.mock), {
      promptTokens: summary.tokens.input_server / summary.counts.requests,
      outputTokens: 32,
    });
    // The KV cache, not the 8 slots, limits the batch: 6 requests, ≈ 24 requests/s.
    expect(capacity.slots).toBe(6);
    const offered = (t: number) => 5 + 9 * t; // 5/s → 50/s over 5 s
    const waiting = series('vllm:num_requests_waiting');
    const below = waiting.filter(([t]) => offered(t) < 0.8 * capacity.requestsPerS);
    const above = waiting.filter(([t]) => offered(t) > 1.2 * capacity.requestsPerS && t <= 5);
    expect(below.length).toBeGreaterThan(3);
    expect(Math.max(...below.map((p) => p[1]))).toBeLessThanOrEqual(1);
    expect(Math.max(...above.map((p) => p[1]))).toBeGreaterThanOrEqual(5);
    const kv = series('vllm:gpu_cache_usage_perc');
    expect(Math.max(...kv.filter(([t]) => t < 1).map((p) => p[1]))).toBeLessThan(0.5);
    expect(Math.max(...kv.map((p) => p[1]))).toBeGreaterThanOrEqual(0.9);
    // The report draws the scraped series.
    expect(summary.telemetry.length).toBeGreaterThanOrEqual(4);
  });
});
