/**
 * `abortOnFail` with `delayAbortEval` through the real CLI: against the
 * embedded mock set to answer slowly, a latency threshold that cannot hold
 * stops a 30 s run soon after its delay, with exit 98 and a complete run
 * directory (records, summary with the reason, report, run.json's final
 * marker). The bounds are on when the threshold was judged (the run clock),
 * with margins for a loaded box, never on how fast tokenstorm is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

describe('abortOnFail', () => {
  it('stops within about a window after delayAbortEval: exit 98, reason in summary.json, everything written', async () => {
    const dir = tempDir();
    const file = join(dir, 'abort.yaml');
    writeFileSync(
      file,
      `name: abort-on-fail
target: mock
mock: { ttft_ms: 250, itl_ms: 2, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 4, duration: 30s, graceful_stop: 1s }
thresholds:
  ttft_ms:
    - { threshold: "p95 < 100", abortOnFail: true, delayAbortEval: 1500ms }
  error_rate: ["< 0.01"]
`,
    );
    const out = join(dir, 'run');
    const r = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], { timeoutMs: 60_000 });
    expect(r.code).toBe(98);
    expect(r.stderr).toContain('run aborted: threshold "ttft_ms: p95 < 100" failed at');

    const summary = readJson(join(out, 'summary.json'));
    expect(summary.passed).toBe(false);
    expect(summary.complete).toBe(false);
    expect(summary.aborted).toMatchObject({
      threshold: 'ttft_ms p95 < 100',
      metric: 'ttft_ms',
      expr: 'p95 < 100',
    });
    // The mock answers in ~250 ms: the p95 judged is that, well above the limit.
    expect(summary.aborted.value).toBeGreaterThan(200);
    // Judged after the delay, and within a window (1 s, a worker's state) of it, plus load margin.
    expect(summary.aborted.at_s).toBeGreaterThanOrEqual(1.5);
    expect(summary.aborted.at_s).toBeLessThan(1.5 + 1 + 1.5);
    // The load stopped then: far short of its 30 s.
    expect(summary.durationS).toBeLessThan(summary.aborted.at_s + 1 + 5);
    expect(summary.incomplete).toContain('abortOnFail');

    // A complete run directory: the final marker, every record line, the report.
    const info = readJson(join(out, 'run.json'));
    expect(info.ended).toMatchObject({ complete: false });
    expect(info.abortedByThreshold).toEqual(summary.aborted);
    const lines = readFileSync(join(out, 'records.jsonl'), 'utf8').split('\n').filter(Boolean);
    expect(lines.length).toBe(summary.counts.requests);
    expect(lines.length).toBeGreaterThan(0);
    expect(existsSync(join(out, 'report.html'))).toBe(true);

    // The report rebuilt from the directory says the same.
    const again = await runCli(['report', out, '--json'], { timeoutMs: 30_000 });
    expect(JSON.parse(again.stdout).aborted).toEqual(summary.aborted);
  });
});
