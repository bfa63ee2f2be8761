/**
 * What the e2e tests repeat around a CLI run: a small chat test against the
 * embedded mock written to a temporary folder, `tokenstorm run` of it into a
 * run directory, and reading that directory back (summary.json, run.json,
 * records.jsonl). One place, so a file's test reads as what it checks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type CliOptions, type CliResult, runCli, tempDir } from './cli.js';

/** Flags of a run that prints nothing, records no history and keeps to one worker process. */
export const QUIET_RUN = ['-q', '--no-history', '--workers', '1'];

/** Parsed JSON a test then checks field by field. */
// biome-ignore lint/suspicious/noExplicitAny: the test's own assertions are its type checks.
export type Json = any;

export const readJson = (path: string): Json => JSON.parse(readFileSync(path, 'utf8'));

export const summaryOf = (dir: string): Json => readJson(join(dir, 'summary.json'));

/** The run's records.jsonl, one object a line. */
export function recordsOf<T = Record<string, unknown>>(dir: string): T[] {
  return readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as T);
}

/** Writes `text` as `name` into `dir` (a fresh temporary folder by default) and returns its path. */
export function writeTest(name: string, text: string, dir = tempDir()): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

export interface ChatTestOptions {
  /** The mock's profile as YAML flow; default `{ ttft_ms: 20, itl_ms: 2, output_tokens: 4 }`. */
  mock?: string;
  /** The load as YAML flow; default `{ executor: constant-arrival-rate, rate: 20, duration: 1s }`. */
  load?: string;
  /** Top-level YAML appended after the load (thresholds:, notify:, compare:, tags: ...). */
  extra?: string;
}

/** YAML of a test with one chat step against the embedded mock. */
export function chatTestYaml(name: string, options: ChatTestOptions = {}): string {
  const mock = options.mock ?? '{ ttft_ms: 20, itl_ms: 2, output_tokens: 4 }';
  const load = options.load ?? '{ executor: constant-arrival-rate, rate: 20, duration: 1s }';
  return `name: ${name}
mock: ${mock}
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: ${load}
${options.extra ?? ''}`;
}

export interface RunOptions extends CliOptions {
  /** Where the run writes; default `run` in a fresh temporary folder. */
  out?: string;
  /** `--duration`, when the test's own is to be shortened. */
  duration?: string;
  /** Flags after the file; default QUIET_RUN. */
  flags?: string[];
}

/** `tokenstorm run FILE --out OUT [--duration D] ...flags`: the CLI's result and the run directory. */
export async function runTest(file: string, options: RunOptions = {}): Promise<CliResult & { out: string }> {
  const out = options.out ?? join(tempDir(), 'run');
  const duration = options.duration === undefined ? [] : ['--duration', options.duration];
  const result = await runCli(
    ['run', file, ...duration, '--out', out, ...(options.flags ?? QUIET_RUN)],
    options,
  );
  return { ...result, out };
}

/**
 * `tokenstorm run FILE --out OUT --quiet ...flags` that must end well: exit 0,
 * nothing on stderr, no request an error. Returns the run directory and its summary.
 */
export async function runClean(
  file: string,
  out: string,
  flags: string[] = [],
): Promise<{ out: string; summary: Json }> {
  const result = await runCli(['run', file, '--out', out, '--quiet', ...flags]);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const summary = summaryOf(out);
  expect(summary.counts.errors).toBe(0);
  return { out, summary };
}
