/**
 * Results that survive: SIGINT writes summary and report and exits 98 with
 * every completed record on disk; after a SIGKILL, `tokenstorm report`
 * rebuilds the summary from the records that reached disk (which are flushed
 * while the run goes, not only at exit) and skips a torn last line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../support/cli.js';

function recordLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean);
}

/** Parsed records, skipping a line that is not JSON (a torn write). */
function records(path: string): { outcome: string }[] {
  return recordLines(path).flatMap((l) => {
    try {
      return [JSON.parse(l) as { outcome: string }];
    } catch {
      return [];
    }
  });
}

/** Polls (bounded) until records.jsonl holds at least `n` lines while the run is still going. */
async function waitForRecords(path: string, n: number, child: ChildProcess): Promise<number> {
  for (let i = 0; i < 150; i++) {
    const count = recordLines(path).length;
    if (count >= n) return count;
    if (child.exitCode !== null) throw new Error('the run ended before its records reached disk');
    await sleep(100);
  }
  throw new Error(`records.jsonl did not reach ${n} lines in 15 s`);
}

function longTest(dir: string): string {
  const path = join(dir, 'long.yaml');
  writeFileSync(
    path,
    `name: survive
mock: { ttft_ms: 20, itl_ms: 5, output_tokens: 20 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 20, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 40, duration: 60s, graceful_stop: 2s }
thresholds:
  ttft_ms: ["p99 < 2000"]
`,
  );
  return path;
}

function spawnRun(args: string[]): { child: ChildProcess; done: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.resume();
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // Never outlive the test, whatever happens.
  const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
  done.finally(() => clearTimeout(guard));
  return { child, done };
}

describe('results that survive', () => {
  it('SIGINT: exit 98, summary and report written, records on disk equal the summary count', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const junit = join(dir, 'junit.xml');
    const { child, done } = spawnRun(['run', longTest(dir), '--out', out, '--quiet', '--junit', junit]);
    await waitForRecords(join(out, 'records.jsonl'), 40, child);
    child.kill('SIGINT');
    expect(await done).toBe(98);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const onDisk = records(join(out, 'records.jsonl'));
    expect(onDisk.length).toBe(summary.counts.requests);
    expect(summary.counts.requests).toBeGreaterThanOrEqual(40);
    expect(summary.durationS).toBeLessThan(30);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(readFileSync(junit, 'utf8')).toContain('<testcase name="ttft_ms: p99 &lt; 2000"');
  });

  it('SIGKILL: report rebuilds a summary whose totals equal the records on disk, skipping a torn line', async () => {
    const dir = tempDir();
    const out = join(dir, 'run');
    const { child, done } = spawnRun(['run', longTest(dir), '--out', out, '--quiet']);
    // Records reach disk while the run goes (a 60 s run is far from its exit-time flush).
    await waitForRecords(join(out, 'records.jsonl'), 60, child);
    child.kill('SIGKILL');
    await done;
    expect(existsSync(join(out, 'summary.json'))).toBe(false);
    const path = join(out, 'records.jsonl');
    const onDisk = records(path);
    const rebuilt = await runCli(['report', out, '--quiet', '--markdown', join(dir, 'summary.md')]);
    // Rebuilt, and reported as what it is: a run that did not finish (exit 98, never passed).
    expect(rebuilt.code, rebuilt.stderr).toBe(98);
    expect(rebuilt.stderr).toContain('incomplete: killed after');
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ complete: false, passed: false });
    expect(summary.counts.requests).toBe(onDisk.length);
    expect(summary.counts.ok).toBe(onDisk.filter((r) => r.outcome === 'ok').length);
    expect(summary.counts.errors).toBe(onDisk.filter((r) => r.outcome === 'error').length);
    expect(summary.counts.cancelled).toBe(onDisk.filter((r) => r.outcome === 'cancelled').length);
    expect(summary.durationS).toBeGreaterThan(0);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('data-metric="counts.requests"');
    expect(readFileSync(join(dir, 'summary.md'), 'utf8')).toContain('### tokenstorm: survive');

    // A kill in the middle of a write leaves half a line: it is skipped with a warning, totals unchanged.
    const lines = recordLines(path).length;
    appendFileSync(path, '{"id":999999,"scenario":"chat","outc');
    const torn = await runCli(['report', out, '--quiet']);
    expect(torn.code).toBe(98);
    expect(torn.stderr).toContain(`warning: skipped unreadable records.jsonl line(s) ${lines + 1}`);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).counts).toEqual(summary.counts);
  });
});
