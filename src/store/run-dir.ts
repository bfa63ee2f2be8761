/**
 * @module store/run-dir
 * The run directory of docs/architecture.md#the-run-directory: `summary.json`, `records.jsonl`,
 * `report.html`, plus `run.json` (what ran, for rebuilding) and `events.jsonl`
 * (dropped arrivals and other non-request events).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunLabels } from './history-model.js';
import { redactStrings } from './redact.js';

/** Kept here for its importers; the rules live in store/redact. */
export { redactSecrets } from './redact.js';

export const RUN_FILES = {
  summary: 'summary.json',
  records: 'records.jsonl',
  events: 'events.jsonl',
  report: 'report.html',
  run: 'run.json',
  /** Scores given after the run (embeddings' cosine, a judge's grades), when the test asked for them. */
  qualityScores: 'quality-scores.json',
} as const;

/** A non-request event of the run (kept apart so records stay one line per attempt). */
export type RunEvent =
  | { type: 'dropped'; at: number; n: number; times?: number[] }
  | { type: 'fault'; phase: 'applied' | 'reverted' | 'marker'; at: number; label: string; for_s?: number };

/** A timeline event as it happened: seconds from the run's start, in the test's event order (`index`). */
export interface RunEventMark {
  index: number;
  at: number;
  label: string;
  for_s?: number;
  proxy?: string;
  /** Why the fault could not be applied. */
  error?: string;
  /** Telemetry targets whose served-request counters show a failover. */
  failover?: { from: string; to: string; metric: string };
}

/** A scraped metric of the target: `[seconds from the start, value]` points. */
export interface RunTelemetrySeries {
  name: string;
  unit?: string;
  points: [number, number][];
}

/** What ran: enough, with the records and events, to rebuild the summary. */
/** summary.json `aborted`: the threshold that stopped the run (`abortOnFail`), as it stood then. */
export interface AbortedByThreshold {
  /** `metric expression`, e.g. `ttft_ms p99 < 500`. */
  threshold: string;
  metric: string;
  expr: string;
  value: number;
  at_s: number;
}

export interface RunInfo {
  schema: 'tokenstorm.run/v1';
  name: string;
  startedAt: string;
  /** Set when the run finished; absent after a crash. */
  durationS?: number;
  /** Why the run ended early (`SIGINT`, …), when it did. */
  aborted?: string;
  /** The `abortOnFail` threshold that stopped the run, its value then, and when (s of the run clock). */
  abortedByThreshold?: AbortedByThreshold;
  /** The planned duration of the load in seconds, when it is bounded by time (written at the start). */
  plannedS?: number;
  /**
   * The final marker, written last (after the records and events files are
   * closed): absent, the run was killed or crashed. `complete` is false when
   * the run was interrupted or a worker had to be terminated (`reason` says how).
   */
  ended?: { at: string; complete: boolean; reason?: string; terminatedWorkers?: number[] };
  target: string;
  /** Scenario names, so a scenario without records still shows in the summary. */
  scenarios: string[];
  /** The test's thresholds as written (after validation), evaluated again by `tokenstorm report`. */
  thresholds: Record<string, unknown[]>;
  /** Load worker threads that ran it. */
  workers?: number;
  /**
   * The instant the run clock read 0, in Unix epoch ms (fractional). A record's
   * run-clock time `t` happened at `clockOriginEpochMs + t`, so records can be
   * lined up with logs and traces taken elsewhere.
   */
  clockOriginEpochMs?: number;
  /**
   * The generator's own event-loop delay (p99 of each worker-second, and the
   * largest seen, ms) and the CPU seconds its process used while the load ran.
   * `loopDelayAtS[i]` is when sample i arrived (run-clock s; it covers the second
   * before) and `loopDelaySampleMaxMs[i]` its largest delay.
   */
  generator?: {
    loopDelayP99Ms: number[];
    loopDelayAtS?: number[];
    loopDelaySampleMaxMs?: number[];
    loopDelayMaxMs: number;
    cpuS?: number;
    /** `[run-clock s, VUs active in all workers]` each time a worker reported its count (measured, not planned). */
    activeVus?: [number, number][];
  };
  /** What reached records.jsonl: a rebuild from sampled or no records cannot equal the live summary. */
  records?: { mode: 'full' } | { mode: 'sampled'; rate: number } | { mode: 'off' };
  /** Labelled stages of the load (run-clock ms), so a rebuild assigns records to the same stages. */
  stages?: { name: string; startMs: number; endMs: number; target?: number; warmup?: boolean }[];
  /** The offered load per second, planned ahead (the report draws it against what was achieved). */
  offered?: { unit: 'iterations_per_s' | 'vus'; series: { start_s: number; value: number }[] };
  /** Timeline events (fault changes and markers) as they happened. */
  events?: RunEventMark[];
  /** Target telemetry scraped during the run. */
  telemetry?: RunTelemetrySeries[];
  /** When a window counts as recovered after an event (the test's `recovery`). */
  recovery?: { max_error_rate: number; band: number };
  /** Tags (the test's `tags:` and `--tag`) and the git checkout, for the run history. */
  labels?: RunLabels;
  /** The validated test with secrets redacted. */
  test: unknown;
}

/** `runs/2026-11-23T13-05-00-123Z-chat-quickstart` under the working directory. */
export function defaultRunDir(name: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 60);
  return resolve('runs', `${stamp}-${safe}`);
}

export function createRunDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Writes run.json; every string in it (targets, event labels and errors, telemetry names) is redacted. */
export function writeRunInfo(dir: string, info: RunInfo): void {
  writeFileSync(join(dir, RUN_FILES.run), `${JSON.stringify(redactStrings(info), null, 2)}\n`);
}

export function readRunInfo(dir: string): RunInfo {
  return JSON.parse(readFileSync(join(dir, RUN_FILES.run), 'utf8')) as RunInfo;
}

export function hasRunFiles(dir: string): boolean {
  return existsSync(join(dir, RUN_FILES.run)) && existsSync(join(dir, RUN_FILES.records));
}
