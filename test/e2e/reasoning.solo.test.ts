/**
 * Reasoning-model metrics against ground truth: a loopback server streams 20
 * reasoning deltas 10 ms apart from 100 ms, then 30 content deltas 20 ms apart
 * from 310 ms, so TTFT is 100 ms (first output of any kind), TTFC 310 ms,
 * the reasoning phase 210 ms with a TPOT of 10 ms and the answer a TPOT of
 * 20 ms. Every other response leaves `completion_tokens_details` out, so the
 * reasoning tokens are then the client's count of reasoning deltas. Then the
 * mock's own reasoning phase, measured the same way.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { runClean } from '../support/run-dir.js';

const REASONING = 20;
const CONTENT = 30;
const FIRST_MS = 100;
const REASONING_GAP_MS = 10;
const CONTENT_GAP_MS = 20;
/** The first content delta: one content gap after the last reasoning delta. */
const FIRST_CONTENT_MS = FIRST_MS + (REASONING - 1) * REASONING_GAP_MS + CONTENT_GAP_MS;

function chunk(id: string, delta: Record<string, unknown>, finish: string | null = null): string {
  const body = {
    id,
    object: 'chat.completion.chunk',
    created: 1,
    model: 'r1',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
  return `data: ${JSON.stringify(body)}\n\n`;
}

/** Waits until `due` on the performance clock (a timer may fire a little early: wait again). */
async function until(due: number): Promise<void> {
  for (let i = 0; i < 1000 && performance.now() < due; i++) {
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
}

let server: Server;
let url = '';
let served = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      const n = ++served;
      const t0 = performance.now();
      const id = `chatcmpl-${n}`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(chunk(id, { role: 'assistant', content: '' }));
      for (let i = 0; i < REASONING; i++) {
        await until(t0 + FIRST_MS + i * REASONING_GAP_MS);
        // DeepSeek's form (content null beside reasoning_content) on some, vLLM's on the others.
        res.write(
          chunk(
            id,
            n % 3 === 0
              ? { content: null, reasoning_content: ` think${i}` }
              : { reasoning_content: ` think${i}` },
          ),
        );
      }
      for (let j = 0; j < CONTENT; j++) {
        await until(t0 + FIRST_CONTENT_MS + j * CONTENT_GAP_MS);
        res.write(chunk(id, { content: ` word${j}` }));
      }
      res.write(chunk(id, {}, 'stop'));
      const usage: Record<string, unknown> = {
        prompt_tokens: 5,
        completion_tokens: REASONING + CONTENT,
        total_tokens: 55,
      };
      if (n % 2 === 0) usage.completion_tokens_details = { reasoning_tokens: REASONING };
      res.write(
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model: 'r1', choices: [], usage })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

type Stats = { p50: number; min: number; max: number };
type Metrics = Record<
  'ttft_ms' | 'ttfc_ms' | 'reasoning_ms' | 'tpot_reasoning_ms' | 'tpot_content_ms' | 'reasoning_tokens',
  Stats
>;

async function run(
  target: string,
  mock = '',
): Promise<{ metrics: Metrics; records: Record<string, number>[] }> {
  const dir = tempDir();
  const file = join(dir, 'reasoning.yaml');
  writeFileSync(
    file,
    `name: reasoning
target: ${target}
${mock}
scenarios:
  - name: chat
    steps:
      - chat: { model: r1, max_tokens: 30, messages: [{ role: user, content: "Think, then answer." }] }
load: { executor: constant-vus, vus: 4, duration: 4s }
`,
  );
  const { out, summary } = await runClean(file, join(dir, 'run'));
  expect(summary.counts.ok).toBeGreaterThan(8);
  const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  return { metrics: summary.metrics, records };
}

describe('reasoning models', () => {
  it('measures TTFT, TTFC, reasoning tokens and duration, and TPOT of each phase against ground truth', {
    timeout: 60_000,
  }, async () => {
    const { metrics, records } = await run(url);
    expect(Math.abs(metrics.ttft_ms.p50 - FIRST_MS)).toBeLessThanOrEqual(5);
    expect(Math.abs(metrics.ttfc_ms.p50 - FIRST_CONTENT_MS)).toBeLessThanOrEqual(5);
    expect(Math.abs(metrics.reasoning_ms.p50 - (FIRST_CONTENT_MS - FIRST_MS))).toBeLessThanOrEqual(5);
    expect(Math.abs(metrics.tpot_reasoning_ms.p50 - REASONING_GAP_MS)).toBeLessThanOrEqual(1);
    expect(Math.abs(metrics.tpot_content_ms.p50 - CONTENT_GAP_MS)).toBeLessThanOrEqual(1);
    expect([metrics.reasoning_tokens.min, metrics.reasoning_tokens.max]).toEqual([REASONING, REASONING]);
    // With the server's details and without them (the client's count of reasoning deltas) alike.
    for (const r of records) {
      expect(r.reasoningTokens).toBe(REASONING);
      expect(r.outputTokens).toBe(REASONING + CONTENT);
      expect(r.chunks).toBe(REASONING + CONTENT);
    }
  });

  it("the mock's reasoning phase: reasoning deltas before the answer, counted in usage", {
    timeout: 60_000,
  }, async () => {
    const { metrics, records } = await run(
      'mock',
      'mock: { ttft_ms: 100, itl_ms: 10, output_tokens: 30, reasoning_tokens: 20 }',
    );
    expect(Math.abs(metrics.ttft_ms.p50 - 100)).toBeLessThanOrEqual(5);
    // 20 reasoning tokens 10 ms apart, then the answer one gap later.
    expect(Math.abs(metrics.ttfc_ms.p50 - 300)).toBeLessThanOrEqual(5);
    expect(Math.abs(metrics.tpot_reasoning_ms.p50 - 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(metrics.tpot_content_ms.p50 - 10)).toBeLessThanOrEqual(1);
    expect([metrics.reasoning_tokens.min, metrics.reasoning_tokens.max]).toEqual([20, 20]);
    for (const r of records) {
      expect(r.outputTokens).toBe(50);
      expect(r.reasoningTokens).toBe(20);
    }
  });
});
