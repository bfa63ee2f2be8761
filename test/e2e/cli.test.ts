/**
 * The CLI contract of docs/architecture.md#the-run-directory from real runs: exit codes, run directory,
 * rebuild by `report`, graceful stop and interruption.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

function writeTest(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

const chat = `
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 8, messages: [{ role: user, content: hi }] }
`;

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function lines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

describe('tokenstorm run', () => {
  it('exits 0 when thresholds pass and writes the run directory; report rebuilds the same summary', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      'pass.yaml',
      `name: pass
mock: { ttft_ms: 20, itl_ms: 2 }
${chat}
load: { executor: constant-arrival-rate, rate: 40, duration: 2s }
thresholds:
  ttft_ms: ["p99 < 2000"]
  error_rate: ["< 0.01"]
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/ttft_ms +80 /);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary).toMatchObject({ passed: true, counts: { errors: 0, dropped: 0 } });
    expect(summary.counts.requests).toBe(80);
    expect(summary.metrics.ttft_ms.p50).toBeGreaterThan(0);
    const records = lines(join(out, 'records.jsonl')) as { sent: number }[];
    expect(records).toHaveLength(summary.counts.requests);
    // Run-clock times map to wall-clock time through run.json's origin.
    const origin = readJson(join(out, 'run.json')).clockOriginEpochMs;
    const startedAt = Date.parse(summary.startedAt);
    expect(origin).toBeGreaterThanOrEqual(startedAt);
    for (const r of records) {
      expect(origin + r.sent).toBeGreaterThanOrEqual(startedAt);
      expect(origin + r.sent).toBeLessThanOrEqual(Date.now());
    }
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('<html');
    for (const key of [
      'passed',
      'startedAt',
      'durationS',
      'counts',
      'metrics',
      'rates',
      'thresholds',
      'scenarios',
    ]) {
      expect(summary).toHaveProperty(key);
    }
    // The open model schedules on time: lag stays small at 40/s (the median: a busy machine's hiccups stay out).
    expect(summary.metrics.scheduling_lag_ms.p50).toBeLessThan(5);
    // The generator reports on itself: one p99 per worker-second.
    expect(summary.generator).toMatchObject({ workers: readJson(join(out, 'run.json')).workers, dropped: 0 });
    expect(summary.generator.event_loop_delay_p99_ms).toBeGreaterThan(0);
    // The generator's own CPU while the load ran: some, and no more than the machine has.
    expect(summary.generator.cpu_s).toBeGreaterThan(0);
    expect(summary.generator.cpu_cores).toBeGreaterThan(0);
    expect(summary.generator.cpu_cores).toBeLessThanOrEqual(availableParallelism() + 0.5);
    expect(readJson(join(out, 'run.json')).generator.loopDelayP99Ms.length).toBeGreaterThanOrEqual(1);

    const rebuilt = await runCli(['report', out, '--quiet']);
    expect(rebuilt.code).toBe(0);
    expect(readJson(join(out, 'summary.json'))).toEqual(summary);

    // A second run into the same directory replaces the first one's records and events.
    const again = await runCli(['run', test, '--out', out, '--duration', '1s', '--quiet']);
    expect(again.code).toBe(0);
    const second = readJson(join(out, 'summary.json'));
    expect(second.counts.requests).toBe(40);
    expect(lines(join(out, 'records.jsonl'))).toHaveLength(40);
    expect(await runCli(['report', out, '--quiet'])).toMatchObject({ code: 0 });
    expect(readJson(join(out, 'summary.json'))).toEqual(second);
  });

  it('exits 99 when a blocking threshold fails, and not for a non-blocking one', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      'fail.yaml',
      `name: fail
mock: { ttft_ms: 50 }
${chat}
load: { executor: constant-vus, vus: 2, iterations: 4 }
thresholds:
  ttft_ms: ["p50 < 10"]
  e2e_ms: [{ threshold: "max < 1", blocking: false }]
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--out', out, '--quiet']);
    expect(result.code).toBe(99);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary.passed).toBe(false);
    expect(summary.counts.requests).toBe(4);
    expect(summary.thresholds).toEqual([
      expect.objectContaining({ metric: 'ttft_ms', expr: 'p50 < 10', blocking: true, passed: false }),
      expect.objectContaining({ metric: 'e2e_ms', expr: 'max < 1', blocking: false, passed: false }),
    ]);
    expect(summary.thresholds[0].value).toBeGreaterThanOrEqual(50);
  });

  it('exits 2 with the file, field path and expectation for a bad file or flag', async () => {
    const bad = await runCli(['run', 'examples/bad.yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('examples/bad.yaml: load.rate: expected a positive number, got "fast"');
    const flag = await runCli(['run', 'examples/quickstart.yaml', '--vus', 'many']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--vus: expected a positive whole number, got "many"');
    const usage = await runCli(['run']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'test'");
    const missing = await runCli(['run', 'examples/nope.yaml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('examples/nope.yaml: cannot read the test file');
  });

  it('graceful stop: in-flight streams past the grace period are cancelled, not errors', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      'grace.yaml',
      `name: grace
mock: { ttft_ms: 10, itl_ms: 100, output_tokens: 100 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 4, duration: 1s, graceful_stop: 500ms }
`,
    );
    const out = join(dir, 'run');
    // The behaviour, not the machine's speed: the streams (10 s each) are cut at the graceful stop.
    const result = await runCli(['run', test, '--out', out, '--quiet']);
    expect(result.code).toBe(0);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary.counts).toMatchObject({ requests: 4, cancelled: 4, errors: 0, ok: 0 });
    const records = lines(join(out, 'records.jsonl')) as {
      outcome: string;
      chunks: number;
      message: string;
      end: number;
    }[];
    for (const r of records) {
      expect(r.outcome).toBe('cancelled');
      // Cut at 1 s + 500 ms on the run clock, far before the stream's own end at ~10 s.
      expect(r.end).toBeLessThan(8_000);
      // Each had streamed for ~1.5 s at 10 tokens/s before it was cancelled.
      expect(r.chunks).toBeGreaterThan(5);
    }
  });

  it('SIGINT stops the run, keeps every completed record, exits 98 and never reads as passed', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      'interrupt.yaml',
      `name: interrupt
mock: { ttft_ms: 20, itl_ms: 5, output_tokens: 10 }
${chat}
load: { executor: constant-vus, vus: 3, duration: 60s }
`,
    );
    const out = join(dir, 'run');
    // Interrupted once records are on disk (the run is under way), however long start-up took.
    const interruptWhenRunning = (child: ChildProcess) => {
      const poll = setInterval(() => {
        const file = join(out, 'records.jsonl');
        if (existsSync(file) && readFileSync(file, 'utf8').split('\n').length > 10) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 100);
      child.on('exit', () => clearInterval(poll));
    };
    const result = await runCli(['run', test, '--out', out, '--quiet'], { onSpawn: interruptWhenRunning });
    expect(result.code).toBe(98);
    const summary = readJson(join(out, 'summary.json'));
    // No thresholds, yet an interrupted run is incomplete, not "PASSED (no blocking thresholds)".
    expect(summary).toMatchObject({ complete: false, passed: false });
    expect(summary.incomplete).toMatch(/^interrupted by SIGINT after [\d.]+ s of 60 s$/);
    expect(result.stdout).toContain('INCOMPLETE: interrupted by SIGINT');
    expect(result.stdout).not.toContain('PASSED');
    expect(summary.counts.requests).toBeGreaterThan(10);
    expect(lines(join(out, 'records.jsonl'))).toHaveLength(summary.counts.requests);
    expect(summary.durationS).toBeLessThan(30);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });

  it('lets many virtual users think on one stop signal without a listener-leak warning', async () => {
    // Regression: 30 VUs pausing on the same stop signal printed MaxListenersExceededWarning.
    const dir = tempDir();
    const test = writeTest(
      dir,
      'think.yaml',
      `name: think
mock: { ttft_ms: 5, itl_ms: 1, output_tokens: 4 }
${chat}
load: { executor: constant-vus, vus: 30, duration: 1s, think_time: 100 }
`,
    );
    const result = await runCli(['run', test, '--out', join(dir, 'run'), '--quiet', '--workers', '1']);
    expect(result.code).toBe(0);
    expect(result.stderr).not.toContain('MaxListenersExceededWarning');
  });

  it('never writes the API key into the run directory', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      'secret.yaml',
      `name: secret
headers: { Authorization: "Bearer \${API_KEY}", x-api-key: "\${API_KEY}" }
${chat}
load: { executor: constant-vus, vus: 1, iterations: 2 }
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--out', out, '-e', 'API_KEY=sk-live-very-secret-123456'], {});
    expect(result.code).toBe(0);
    for (const name of ['summary.json', 'records.jsonl', 'run.json', 'report.html', 'events.jsonl']) {
      expect(readFileSync(join(out, name), 'utf8')).not.toContain('very-secret');
    }
    expect(result.stdout + result.stderr).not.toContain('very-secret');
  });
});
