/**
 * Runs the built `tokenstorm` CLI as a real child process, bounded in time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'bin', 'tokenstorm.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Called once with the child, e.g. to send it a signal. */
  onSpawn?: (child: ReturnType<typeof spawn>) => void;
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tokenstorm ${args.join(' ')} did not finish in time\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    options.onSpawn?.(child);
  });
}

/** A fresh temporary directory for a run's output. */
export function tempDir(prefix = 'tokenstorm-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Lines of stderr a test should care about: a generator warning describes the
 * machine the suite runs on (a busy CI box), not the result under test.
 */
export function stderrProblems(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l !== '' && !l.startsWith('warning: generator'));
}
