/**
 * `embedding:` steps against the embedded mock: a batch of four and a single
 * input. Each record carries its vectors and input tokens (the server's and
 * the client's agree), and the rates count vectors, not requests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli.js';
import { runClean } from '../support/run-dir.js';

describe('embedding steps', () => {
  it('records vectors and input tokens per request; rates give vectors per second', {
    timeout: 30_000,
  }, async () => {
    const dir = tempDir();
    const file = join(dir, 'embed.yaml');
    writeFileSync(
      file,
      `name: embed
target: mock
scenarios:
  - name: s
    steps:
      - embedding: { name: batch, model: e, input: ["tides and moons", "queues grow", "p99 latency", "vector search"] }
      - embedding: { name: one, model: e, input: "How do tides work?", dimensions: 8 }
load: { executor: constant-vus, vus: 2, duration: 1s }
`,
    );
    const { out, summary } = await runClean(file, join(dir, 'run'));
    const { batch, one } = summary.steps;
    expect(batch.kind).toBe('embedding');
    expect(batch.counts.ok).toBeGreaterThan(5);
    expect(batch.rates.vectors_per_s).toBeCloseTo(4 * batch.rates.ok_per_s, 2);
    expect(one.rates.vectors_per_s).toBeCloseTo(one.rates.ok_per_s, 2);
    expect(summary.rates.vectors_per_s).toBeCloseTo(batch.rates.vectors_per_s + one.rates.vectors_per_s, 2);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of records.filter((x) => x.outcome === 'ok')) {
      expect(r.vectors).toBe(r.stepName === 'batch' ? 4 : 1);
      expect(r.inputTokens).toBeGreaterThan(0);
      expect(r.inputTokensClient).toBe(r.inputTokens);
      expect(r.ttftMs).toBeUndefined();
    }
  });
});
