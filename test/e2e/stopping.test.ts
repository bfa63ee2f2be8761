/**
 * Broken scripts, stopping and incomplete runs (docs/limits.md), through the
 * real CLI: a flow that fails at once neither spins nor floods the records,
 * the coordinator stops a worker stuck in a synchronous loop, and a run that
 * did not finish never reads as passed. Every bound below is on a hang
 * (duration + grace + a generous margin), never on how fast tokenstorm is.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

function readJson(path: string) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function records(path: string): { kind: string; error?: string; outcome: string; message?: string }[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

/** Lines of a file that exist now (0 when absent). */
function lineCount(path: string): number {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').length - 1 : 0;
}

/** Sends `signal` once `file` has more than `lines` lines; stops polling when the child exits. */
function signalWhen(file: string, lines: number, signal: NodeJS.Signals) {
  return (child: ChildProcess) => {
    const poll = setInterval(() => {
      if (lineCount(file) > lines) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 50);
    child.on('exit', () => clearInterval(poll));
  };
}

const mock = 'target: "mock",\n  mock: { ttft_ms: 5, itl_ms: 1, output_tokens: 4 },';
const chat = "{ model: 'mock-model', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] }";

describe('broken scripts and stopping', () => {
  it('a flow that throws at once ends on time, counted as script_error, with few records', async () => {
    const dir = tempDir();
    const file = join(dir, 'throws.ts');
    writeFileSync(
      file,
      `export default {
  name: 'throws',
  ${mock}
  scenarios: [{ name: 'broken', flow: async () => { throw new Error('boom at once'); } }],
  load: { executor: 'constant-vus', vus: 2, duration: '2s', graceful_stop: '1s' },
};
`,
    );
    const out = join(dir, 'run');
    // Before the fix this never ended (the VU loop never yielded) and wrote ~20 MB/s.
    const result = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], {
      timeoutMs: 45_000,
    });
    expect(result.code).toBe(0);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary.complete).toBe(true);
    expect(summary.counts.byError.script_error).toBeGreaterThan(0);
    expect(summary.counts.byError.script_error).toBe(summary.counts.errors);
    const lines = records(join(out, 'records.jsonl'));
    expect(lines).toHaveLength(summary.counts.requests);
    for (const r of lines) {
      expect(r).toMatchObject({ kind: 'script', error: 'script_error', outcome: 'error' });
      expect(r.message).toContain('boom at once');
    }
    // The back-off: 2 VUs over 2 s wait 10, 20, 40, … ms up to 1 s between failures (~20 in all).
    expect(lines.length).toBeLessThan(100);
  });

  it('SIGINT ends a run whose flow spins synchronously: the worker is terminated, exit 98, records kept', async () => {
    const dir = tempDir();
    const file = join(dir, 'spins.ts');
    const spinning = join(dir, 'spinning');
    writeFileSync(
      file,
      `import { writeFileSync } from 'node:fs';
export default {
  name: 'spins',
  ${mock}
  scenarios: [{
    name: 'spin',
    flow: async (vu) => {
      await vu.chat(${chat});
      if (vu.iteration < 100) return;
      writeFileSync(${JSON.stringify(spinning)}, 'x');
      while (true) {}
    },
  }],
  load: { executor: 'constant-vus', vus: 1, duration: '60s', graceful_stop: '1s' },
};
`,
    );
    const out = join(dir, 'run');
    // Interrupted once the flow spins and completed records are on disk.
    const interruptWhenSpinning = (child: ChildProcess) => {
      const poll = setInterval(() => {
        if (existsSync(spinning) && lineCount(join(out, 'records.jsonl')) > 5) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 50);
      child.on('exit', () => clearInterval(poll));
    };
    const result = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], {
      onSpawn: interruptWhenSpinning,
      // SIGINT + 1 s graceful stop + 5 s margin, with room for a busy machine; far below the 60 s planned.
      timeoutMs: 45_000,
    });
    expect(result.code).toBe(98);
    expect(result.stderr).toMatch(/load worker 0 did not stop within 6 s of SIGINT and was terminated/);
    const onDisk = records(join(out, 'records.jsonl'));
    expect(onDisk.length).toBeGreaterThan(5);
    for (const r of onDisk) expect(r.outcome).toBe('ok');
    const summary = readJson(join(out, 'summary.json'));
    expect(summary).toMatchObject({ complete: false, passed: false });
    expect(summary.incomplete).toContain('interrupted by SIGINT');
    expect(summary.incomplete).toContain('load worker 0');
    expect(readJson(join(out, 'run.json')).ended).toMatchObject({ complete: false, terminatedWorkers: [0] });
  });

  it('the deadline ends a run whose flow spins synchronously, without any signal', async () => {
    const dir = tempDir();
    const file = join(dir, 'spins.ts');
    writeFileSync(
      file,
      `export default {
  name: 'spins-past-deadline',
  ${mock}
  scenarios: [{ name: 'spin', flow: async (vu) => { await vu.chat(${chat}); if (vu.iteration >= 10) while (true) {} } }],
  load: { executor: 'constant-vus', vus: 1, duration: '2s', graceful_stop: '500ms' },
};
`,
    );
    const out = join(dir, 'run');
    // 2 s + 0.5 s graceful stop + 5 s margin; the bound only catches a hang.
    const result = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], {
      timeoutMs: 45_000,
    });
    expect(result.code).toBe(98);
    expect(result.stderr).toMatch(/load worker 0 did not stop by the run's deadline .* and was terminated/);
    const summary = readJson(join(out, 'summary.json'));
    expect(summary).toMatchObject({ complete: false, passed: false });
    expect(summary.counts.ok).toBeGreaterThan(0);
  });

  it('SIGINT while loading still writes the run directory and exits 130', async () => {
    const dir = tempDir();
    const marker = join(dir, 'loading');
    const file = join(dir, 'slow.ts');
    // The module takes 3 s to load and says when it started, so the interrupt lands while loading.
    writeFileSync(
      file,
      `import { writeFileSync } from 'node:fs';
writeFileSync(${JSON.stringify(marker)}, 'x');
await new Promise((resolve) => setTimeout(resolve, 3000));
export default {
  name: 'slow-to-load',
  ${mock}
  scenarios: [{ name: 'chat', steps: [{ chat: ${chat} }] }],
  load: { executor: 'constant-vus', vus: 1, duration: '30s' },
};
`,
    );
    const out = join(dir, 'run');
    const interruptWhileLoading = (child: ChildProcess) => {
      const poll = setInterval(() => {
        if (existsSync(marker)) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', () => clearInterval(poll));
    };
    const result = await runCli(['run', file, '--out', out, '--quiet'], {
      onSpawn: interruptWhileLoading,
      timeoutMs: 45_000,
    });
    expect(result.signal).toBeNull();
    expect(result.code).toBe(130);
    expect(result.stderr).toContain('while loading');
    expect(readJson(join(out, 'run.json')).ended).toMatchObject({ complete: false });
    expect(readJson(join(out, 'summary.json'))).toMatchObject({
      complete: false,
      passed: false,
      counts: { requests: 0 },
    });
  });
});

describe('incomplete runs never read as passed', () => {
  it('report of a run killed with SIGKILL mid-run says incomplete, marks complete: false and exits 98', async () => {
    const dir = tempDir();
    const file = join(dir, 'killed.yaml');
    writeFileSync(
      file,
      `name: killed
target: mock
mock: { ttft_ms: 5, itl_ms: 1, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: ${chat}
load: { executor: constant-vus, vus: 2, duration: 60s }
`,
    );
    const out = join(dir, 'run');
    const killed = await runCli(['run', file, '--out', out, '--quiet', '--workers', '1'], {
      onSpawn: signalWhen(join(out, 'records.jsonl'), 10, 'SIGKILL'),
      timeoutMs: 45_000,
    });
    expect(killed.signal).toBe('SIGKILL');
    const report = await runCli(['report', out]);
    expect(report.code).toBe(98);
    expect(report.stderr).toMatch(/incomplete: killed after [\d.]+ s of 60 s/);
    expect(report.stdout).toContain('INCOMPLETE');
    expect(report.stdout).not.toContain('PASSED');
    const summary = readJson(join(out, 'summary.json'));
    expect(summary).toMatchObject({ complete: false, passed: false });
    expect(summary.counts.requests).toBeGreaterThan(10);
  });
});
