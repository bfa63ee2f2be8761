/**
 * Runs a test through the CLI with N workers and reads back what it wrote:
 * shared by the worker tests (workers.test.ts and its solo companion).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli, stderrProblems, tempDir } from './cli.js';

export interface Rec {
  id: number;
  scheduled: number;
  vu: number;
  iteration: number;
  outcome: string;
  ttftMs: number;
  e2eMs: number;
}

export function records(dir: string): Rec[] {
  return readFileSync(join(dir, 'records.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Rec);
}

/** Two-sample Kolmogorov-Smirnov statistic D. */
export function ksStatistic(a: number[], b: number[]): number {
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i] as number, y[j] as number);
    while (i < x.length && (x[i] as number) <= v) i++;
    while (j < y.length && (y[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Critical D at significance 0.001: c(α)·sqrt((n+m)/(n·m)), c(0.001) = 1.95. */
export function ksCritical(n: number, m: number): number {
  return 1.95 * Math.sqrt((n + m) / (n * m));
}

export async function run(
  test: string,
  workers: number,
): Promise<{ summary: { counts: Record<string, number> }; recs: Rec[]; out: string }> {
  const out = join(tempDir(), `run-${workers}`);
  const result = await runCli(['run', test, '--out', out, '--quiet', '--workers', String(workers)]);
  expect(stderrProblems(result.stderr)).toEqual([]);
  expect(result.code).toBe(0);
  return { summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')), recs: records(out), out };
}

/** Writes a test file into a fresh directory and returns its path. */
export function writeTest(name: string, yaml: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, yaml);
  return file;
}

/** A test of one chat step against the embedded mock (5 ms TTFT, 1 ms ITL, 5 tokens) under `load`. */
export function fastChatTest(name: string, load: string): string {
  return writeTest(
    `${name}.yaml`,
    `name: workers-${name}
mock: { ttft_ms: 5, itl_ms: 1, output_tokens: 5 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, messages: [{ role: user, content: hi }] }
load: ${load}
`,
  );
}

/** `tokenstorm report` rebuilds the summary from records.jsonl alone: it must equal what the workers' merged aggregates gave. */
export async function expectRebuildEqual(out: string): Promise<void> {
  const live = readFileSync(join(out, 'summary.json'), 'utf8');
  // The workers' windows, merged, count every arrival, attempt and completion once, each by its clock.
  const s = JSON.parse(live) as {
    counts: Record<string, number>;
    logical: { requests: number };
    windows: { flow: Record<string, number> }[];
  };
  const sum = (k: string) => s.windows.reduce((n, w) => n + (w.flow[k] ?? 0), 0);
  expect(sum('offered_per_s')).toBe(s.logical.requests + (s.counts.dropped ?? 0));
  expect(sum('sent_per_s')).toBe(s.counts.requests);
  expect(sum('completed_per_s')).toBe((s.counts.ok ?? 0) + (s.counts.errors ?? 0));
  expect(sum('ok_per_s')).toBe(s.counts.ok);
  const rebuilt = await runCli(['report', out, '--quiet']);
  expect(rebuilt.code).toBe(0);
  expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toEqual(JSON.parse(live));
}
