/**
 * The foundation's accuracy check: against the embedded mock told to answer
 * with TTFT 100 ms, ITL 10 ms and 50 tokens, at 20 concurrent streams, the
 * measured percentiles match what the server was told to produce.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

describe('measurement accuracy against the mock', () => {
  it('measures TTFT, ITL, TPOT and output tokens as configured', async () => {
    const dir = tempDir();
    const testFile = join(dir, 'accuracy.yaml');
    writeFileSync(
      testFile,
      `name: accuracy
target: mock
mock: { ttft_ms: 100, itl_ms: 10, output_tokens: 50 }
scenarios:
  - name: chat
    steps:
      - chat:
          model: mock-model
          max_tokens: 50
          messages: [{ role: user, content: "Count to fifty." }]
load: { executor: constant-vus, vus: 20, duration: 4s }
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', testFile, '--out', out, '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const { ttft_ms, itl_ms, tpot_ms, output_tokens } = summary.metrics;
    expect(summary.counts.errors).toBe(0);
    // 20 VUs x 4 s / ~0.59 s per request: about 130 requests.
    expect(summary.counts.ok).toBeGreaterThan(80);
    expect(Math.abs(ttft_ms.p50 - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(itl_ms.p50 - 10)).toBeLessThanOrEqual(1);
    expect(Math.abs(tpot_ms.p50 - 10)).toBeLessThanOrEqual(1);
    expect(output_tokens.min).toBe(50);
    expect(output_tokens.max).toBe(50);
    expect(summary.tokens.mismatched_requests).toBe(0);
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    for (const r of records.filter((x) => x.outcome === 'ok')) {
      expect(r.outputTokens).toBe(50);
      expect(r.outputTokensClient).toBe(50);
      expect(r.chunks).toBe(50);
    }
  });
});
