/**
 * @module cli/history-record
 * From a finished run (its directory, summary and aggregates) to a run
 * history entry, and the flags that choose the history: one path for `run`
 * and `history add`, so an imported run equals one recorded live.
 */
import { resolve } from 'node:path';
import { TAG_KEY } from '../config/index.js';
import { ConfigError } from '../core/index.js';
import { METRIC_NAMES, type MetricName, type RunAggregator } from '../metrics/index.js';
import type { Summary } from '../report/index.js';
import {
  defaultHistoryPath,
  type HistoryEntry,
  openHistory,
  type RunInfo,
  type RunLabels,
} from '../store/index.js';

/** Metrics the aggregator keeps per window that the history stores per window. */
const WINDOW_METRICS: readonly MetricName[] = ['ttft_ms', 'itl_ms', 'e2e_ms'];

/**
 * The history file a command uses: `--no-history` none; else `--history PATH`;
 * else `TOKENSTORM_HISTORY` (a path, or `off`); else `.tokenstorm/history.db`
 * in the working directory.
 */
export function historyPathOf(flag: string | boolean | undefined): string | undefined {
  if (flag === false) return undefined;
  if (typeof flag === 'string') return flag;
  const env = process.env.TOKENSTORM_HISTORY;
  if (env === 'off') return undefined;
  if (env !== undefined && env !== '') return env;
  return defaultHistoryPath();
}

/** Parses `--tag NAME=VALUE` arguments (exit 2 on a bad one). */
export function parseTagArgs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (eq < 0 || !TAG_KEY.test(key)) {
      throw new ConfigError(
        `--tag: expected NAME=VALUE with NAME a letter or _ then letters, digits, _, . or -, got ${JSON.stringify(pair)}`,
        'TS_ARGS_INVALID',
      );
    }
    out[key] = pair.slice(eq + 1);
  }
  return out;
}

/** The test's `tags:` as run.json keeps them (runs written before labels existed). */
function testTags(info: RunInfo): Record<string, string> {
  const tags = (info.test as { tags?: unknown } | undefined)?.tags;
  if (tags === null || typeof tags !== 'object') return {};
  return Object.fromEntries(
    Object.entries(tags).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}

/**
 * A history entry for a run. `aggregator` gives the distributions: the live
 * one (exact whatever the records mode), or one rebuilt from full records;
 * without it the entry has none.
 */
export function historyEntryOf(
  dir: string,
  info: RunInfo,
  summary: Summary,
  aggregator: RunAggregator | undefined,
  extraTags: Record<string, string> = {},
): HistoryEntry {
  const labels: RunLabels = { tags: { ...(info.labels?.tags ?? testTags(info)), ...extraTags } };
  if (info.labels?.git !== undefined) labels.git = info.labels.git;
  const run: Record<string, string> = {};
  const windows: HistoryEntry['histograms']['windows'] = [];
  if (aggregator !== undefined) {
    for (const metric of METRIC_NAMES) {
      const h = aggregator.histogram(metric);
      if (h !== undefined && h.count > 0) run[metric] = h.encode();
    }
    windows.push(...aggregator.encodedWindows(WINDOW_METRICS));
  }
  return {
    uid: `${info.startedAt} ${info.clockOriginEpochMs ?? ''} ${info.name}`,
    test: info.name,
    target: info.target,
    labels,
    startedAt: info.startedAt,
    durationS: summary.durationS,
    passed: summary.passed,
    complete: summary.complete !== false,
    runDir: resolve(dir),
    summary,
    histograms: { run, windows },
  };
}

/** Records `entry` in the history at `path`; returns its id and whether it was new. */
export function recordInHistory(
  path: string,
  entry: HistoryEntry,
  waitMs?: number,
): { id: number; added: boolean } {
  const history = openHistory(path, { waitMs });
  try {
    return history.add(entry);
  } finally {
    history.close();
  }
}
