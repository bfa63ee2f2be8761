/**
 * @module cli/run-compare
 * A test's `compare: { baseline, fail_on, bands }` at the end of `tokenstorm
 * run`: the finished run against a named baseline or the rolling baseline of
 * its test, target and tags in the run history (analysis/compare judges).
 * Returns `summary.json`'s `compare` section; `failed` non-empty fails the run
 * (exit 99, as `compare --fail-on`). Collecting a rolling baseline, a missing
 * history or runs that are not comparable never fail the run: they say why.
 */
import { resolve } from 'node:path';
import {
  type CompareRun,
  type CompareSummary,
  compareRuns,
  failingFigures,
  identityDifferences,
  type RunComparison,
} from '../analysis/index.js';
import type { Test } from '../config/index.js';
import {
  type HistoryRun,
  hasRunFiles,
  openHistory,
  ROLLING_MIN_RUNS,
  type RunLabels,
} from '../store/index.js';
import { loadCompareRun } from './commands/compare.js';

export type CompareBlock = NonNullable<Test['compare']>;

export interface RunToJudge {
  dir: string;
  name: string;
  target: string;
  labels: RunLabels;
  summary: CompareSummary;
}

function section(block: CompareBlock, rest: Partial<RunComparison>): RunComparison {
  return {
    baseline: block.baseline,
    status: 'unavailable',
    baseline_runs: [],
    fail_on: [...block.fail_on],
    failed: [],
    ...rest,
  };
}

const onMachine = (r: HistoryRun) => r.runDir !== undefined && hasRunFiles(r.runDir);

/** The baseline runs the block names, read from the history at `historyPath`. */
function baselineRuns(
  block: CompareBlock,
  historyPath: string,
  run: RunToJudge,
): { runs: HistoryRun[] } | { result: RunComparison } {
  const history = openHistory(historyPath, { waitMs: 2000 });
  try {
    if (block.baseline !== 'rolling') {
      const named = history.resolveBaseline(block.baseline);
      if (named === undefined) {
        return {
          result: section(block, {
            reason: `no baseline "${block.baseline}" in ${historyPath} (tokenstorm baseline set ${block.baseline} RUN)`,
          }),
        };
      }
      if (!onMachine(named)) {
        return {
          result: section(block, {
            baseline_runs: [named.id],
            reason: `baseline "${block.baseline}" is run #${named.id}, recorded from ${named.runDir ?? 'no directory'}, which is not on this machine (its records are needed)`,
          }),
        };
      }
      return { runs: [named] };
    }
    const rolling = history.rollingBaseline({ test: run.name, target: run.target, tags: run.labels.tags });
    const self = resolve(run.dir);
    const runs = rolling.runs.filter((r) => onMachine(r) && resolve(r.runDir as string) !== self);
    if (runs.length < ROLLING_MIN_RUNS) {
      const gone = rolling.runs.filter((r) => !onMachine(r)).length;
      return {
        result: section(block, {
          status: 'collecting',
          baseline_runs: runs.map((r) => r.id),
          collecting: { have: runs.length, need: ROLLING_MIN_RUNS },
          ...(gone > 0 ? { reason: `${gone} earlier runs' directories are no longer on this machine` } : {}),
        }),
      };
    }
    return { runs };
  } finally {
    history.close();
  }
}

/**
 * Judges the finished run (its directory's records and `summary`) against the
 * baseline `block` names. Without a history (`historyPath` undefined) it is `unavailable`.
 */
export async function compareAtEnd(
  block: CompareBlock,
  historyPath: string | undefined,
  run: RunToJudge,
): Promise<RunComparison> {
  if (historyPath === undefined) {
    return section(block, { reason: 'the run history is off (--no-history or TOKENSTORM_HISTORY=off)' });
  }
  const found = baselineRuns(block, historyPath, run);
  if ('result' in found) return found.result;
  const candidate = await loadCompareRun(run.dir, run.summary);
  const baselines: CompareRun[] = [];
  const ids: number[] = [];
  const differing: string[] = [];
  for (const r of found.runs) {
    const loaded = await loadCompareRun(r.runDir as string);
    const diffs = identityDifferences(loaded.identity, candidate.identity);
    if (diffs.length > 0) differing.push(`#${r.id}: ${diffs.join('; ')}`);
    else {
      baselines.push({ ...loaded, label: `#${r.id}` });
      ids.push(r.id);
    }
  }
  // A rolling baseline keeps its comparable runs; a named one must be comparable itself.
  const enough = block.baseline === 'rolling' ? baselines.length >= ROLLING_MIN_RUNS : baselines.length === 1;
  if (!enough) {
    const reason = `baseline runs not comparable with this run (${differing.join(' | ')})`;
    return block.baseline === 'rolling'
      ? section(block, {
          status: 'collecting',
          baseline_runs: ids,
          collecting: { have: baselines.length, need: ROLLING_MIN_RUNS },
          reason,
        })
      : section(block, { baseline_runs: found.runs.map((r) => r.id), reason });
  }
  const comparison = compareRuns(
    baselines.length === 1 ? (baselines[0] as CompareRun) : baselines,
    { ...candidate, label: run.dir },
    { bands: block.bands ?? {} },
  );
  return section(block, {
    status: 'judged',
    baseline_runs: ids,
    verdict: comparison.verdict,
    failed: failingFigures(comparison, block.fail_on),
    comparison,
  });
}

function pct(v: number | null): string {
  return v === null || !Number.isFinite(v) ? '' : ` ${v >= 0 ? '+' : ''}${(v * 100).toFixed(1)}%`;
}

/** The console lines of a run's comparison: its verdict and the figures that changed. */
export function renderRunComparison(c: RunComparison): string {
  const base = c.baseline === 'rolling' ? 'rolling baseline' : `baseline "${c.baseline}"`;
  if (c.status === 'collecting') {
    const { have, need } = c.collecting ?? { have: 0, need: ROLLING_MIN_RUNS };
    return `compare: collecting baseline (${have} of ${need}): no verdict yet${c.reason ? ` (${c.reason})` : ''}`;
  }
  if (c.status === 'unavailable' || c.comparison === undefined) {
    return `compare: no verdict against ${base}: ${c.reason ?? 'unavailable'}`;
  }
  const runs = c.baseline_runs.map((id) => `#${id}`).join(', ');
  const lines = [`compare: ${c.verdict?.toUpperCase()} against ${base} (${runs})`];
  for (const r of c.comparison.rows) {
    if (r.verdict !== 'regression' && r.verdict !== 'improvement') continue;
    const figure = r.stat === 'value' ? r.metric : `${r.metric}.${r.stat}`;
    const delta = r.metric === 'error_rate' ? ` ${(r.delta * 100).toFixed(2)} pt` : pct(r.relative);
    lines.push(`  ${r.verdict.padEnd(11)} ${r.scenario} ${figure}${delta}`);
  }
  const limited = c.comparison.warnings.length;
  if (limited > 0) {
    lines.push(
      `  warning: the generator may have limited ${limited} of ${c.baseline_runs.length + 1} runs: a latency difference may be the machine's (summary.json compare.comparison.warnings)`,
    );
  }
  if (c.failed.length > 0) lines.push(`  FAILED (compare.fail_on): ${c.failed.join(', ')}`);
  return lines.join('\n');
}
