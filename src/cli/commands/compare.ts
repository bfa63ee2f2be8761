/**
 * @module cli/commands/compare
 * `tokenstorm compare <baseline>... <candidate>`: is the candidate run worse
 * than its baseline? One baseline run, or several (a rolling baseline judged by
 * its own run-to-run spread). Exit 0, or 99 with `--fail-on regression` when a
 * figure regressed; runs of different tests, targets or load are refused
 * (exit 2) unless `--force`. The statistics are analysis/compare's.
 *
 * A run is named by its directory, or through the run history (store/history):
 * `#ID` (an id from `tokenstorm history`), `baseline:NAME` (set by `tokenstorm
 * baseline set`), or, as the only baseline, `rolling`: the last passing runs
 * of the candidate's test, target and tags, judged only once there are
 * enough of them. A history run is read from the directory it was recorded
 * from (its records), which must still be on this machine.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve as resolvePath } from 'node:path';
import { Command } from 'commander';
import {
  type CompareRequest,
  type CompareRun,
  type CompareSummary,
  compareRuns,
  identityDifferences,
} from '../../analysis/compare.js';
import { ConfigError } from '../../core/index.js';
import { renderCompareConsole, renderCompareMarkdown } from '../../report/compare-format.js';
import {
  type HistoryRun,
  hasRunFiles,
  openHistory,
  ROLLING_MIN_RUNS,
  RUN_FILES,
  readJsonl,
  readRunInfo,
} from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { historyPathOf } from '../history-record.js';

interface CompareFlags {
  history?: string | boolean;
  json?: boolean;
  markdown?: string;
  quiet?: boolean;
  failOn?: string;
  force?: boolean;
  band: string[];
}

/** Reads a run directory into what a comparison needs: identity, summary and per-request values. */
export async function loadCompareRun(dir: string): Promise<CompareRun> {
  if (!hasRunFiles(dir) || !existsSync(join(dir, RUN_FILES.summary))) {
    throw new ConfigError(
      `${dir}: not a run directory (expected run.json, summary.json and records.jsonl)`,
      'TS_ARGS_INVALID',
    );
  }
  const info = readRunInfo(dir);
  if (info.records && info.records.mode !== 'full') {
    process.stderr.write(
      `warning: ${dir}: records.jsonl holds ${info.records.mode === 'off' ? 'no' : 'sampled'} records: percentiles are judged on what it holds\n`,
    );
  }
  const summary = JSON.parse(readFileSync(join(dir, RUN_FILES.summary), 'utf8')) as CompareSummary;
  const requests: CompareRequest[] = [];
  await readJsonl<CompareRequest & Record<string, unknown>>(join(dir, RUN_FILES.records), (r) => {
    requests.push({
      scenario: r.scenario,
      outcome: r.outcome,
      ttftMs: r.ttftMs,
      itlMs: r.itlMs,
      tpotMs: r.tpotMs,
      e2eMs: r.e2eMs,
    });
  });
  const load = (info.test as { load?: unknown } | undefined)?.load;
  return { label: dir, identity: { test: info.name, target: info.target, load }, summary, requests };
}

function parseBands(specs: readonly string[]): Record<string, number> {
  const bands: Record<string, number> = {};
  for (const spec of specs) {
    const m = /^([A-Za-z0-9_.]+)=([0-9]*\.?[0-9]+)$/.exec(spec);
    if (!m) {
      throw new ConfigError(
        `--band ${JSON.stringify(spec)}: expected NAME=NUMBER, e.g. p99=0.25, ttft_ms.p50=0.05 or error_rate=0.02`,
        'TS_ARGS_INVALID',
      );
    }
    bands[m[1] as string] = Number(m[2]);
  }
  return bands;
}

/** The directory a history run was recorded from, which a comparison reads its records from. */
function dirOfHistoryRun(run: HistoryRun | undefined, what: string): string {
  if (run === undefined) throw new ConfigError(`${what}: no such run in the history`, 'TS_ARGS_INVALID');
  if (run.runDir === undefined || !hasRunFiles(run.runDir)) {
    throw new ConfigError(
      `${what}: run #${run.id} was recorded from ${run.runDir ?? 'a run without a directory'}, which is not on this machine (its records are needed)`,
      'TS_ARGS_INVALID',
    );
  }
  return run.runDir;
}

/**
 * The run directories the arguments name (directories, `#ID`, `baseline:NAME`,
 * `rolling`), or the rolling baseline's progress when it has too few runs to
 * judge by.
 */
export function resolveRunArgs(
  args: readonly string[],
  historyFlag: string | boolean | undefined,
): { dirs: string[] } | { collecting: { have: number; need: number } } {
  const candidate = args[args.length - 1] as string;
  const fromHistory = args.some(
    (a) => !existsSync(a) && (/^#?\d+$/.test(a) || a.startsWith('baseline:') || a === 'rolling'),
  );
  if (!fromHistory) return { dirs: [...args] };
  const path = historyPathOf(historyFlag);
  if (path === undefined || !existsSync(path)) {
    throw new ConfigError(
      `compare: ${args.join(' ')} names runs of the history, and there is none${path === undefined ? ' (history is off)' : ` at ${path}`}`,
      'TS_ARGS_INVALID',
    );
  }
  const history = openHistory(path);
  try {
    const one = (arg: string): string => {
      if (existsSync(arg)) return arg;
      const id = /^#?(\d+)$/.exec(arg);
      if (id) return dirOfHistoryRun(history.get(Number(id[1])), arg);
      if (arg.startsWith('baseline:')) return dirOfHistoryRun(history.resolveBaseline(arg.slice(9)), arg);
      throw new ConfigError(`compare: ${arg}: not a run directory, #ID or baseline:NAME`, 'TS_ARGS_INVALID');
    };
    const candidateDir = one(candidate);
    const baselines = args.slice(0, -1);
    if (baselines.length === 1 && baselines[0] === 'rolling' && !existsSync('rolling')) {
      const info = readRunInfo(candidateDir);
      const rolling = history.rollingBaseline(
        { test: info.name, target: info.target, tags: info.labels?.tags ?? {} },
        undefined,
      );
      // The candidate itself may already be recorded: it is never its own baseline.
      const runs = rolling.runs.filter(
        (r) => r.runDir === undefined || resolvePath(r.runDir) !== resolvePath(candidateDir),
      );
      if (runs.length < ROLLING_MIN_RUNS)
        return { collecting: { have: runs.length, need: ROLLING_MIN_RUNS } };
      return { dirs: [...runs.map((r) => dirOfHistoryRun(r, `rolling #${r.id}`)), candidateDir] };
    }
    return { dirs: [...baselines.map(one), candidateDir] };
  } finally {
    history.close();
  }
}

export function compareCommand(): Command {
  return new Command('compare')
    .description(
      'compare a candidate run with a baseline run (or several: a rolling baseline): delta, CI and a verdict per figure',
    )
    .argument(
      '<runs...>',
      'baseline runs, then the candidate (last): run directories, #ID from the history, baseline:NAME, or rolling (the baseline only)',
    )
    .option('--history <path>', 'the run history to find #ID, baseline:NAME and rolling in')
    .option('--json', 'print the comparison as JSON instead of the table')
    .option('--markdown <file>', 'also write the comparison as Markdown (a PR comment)')
    .option('-q, --quiet', 'do not print the table')
    .option('--fail-on <verdict>', 'exit 99 when any figure has this verdict (only "regression")')
    .option('--force', 'compare runs of different tests, targets or load')
    .option(
      '--band <name=value>',
      'practical-significance band, repeatable: p99=0.25, ttft_ms.p50=0.05 (relative), error_rate=0.02, goodput_pct=3 (points)',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .action(async (dirs: string[], flags: CompareFlags) => {
      if (dirs.length < 2) {
        throw new ConfigError(
          'compare: expected a baseline run directory and a candidate run directory',
          'TS_ARGS_INVALID',
        );
      }
      if (flags.failOn !== undefined && flags.failOn !== 'regression') {
        throw new ConfigError(
          `--fail-on ${JSON.stringify(flags.failOn)}: expected "regression"`,
          'TS_ARGS_INVALID',
        );
      }
      const bands = parseBands(flags.band);
      const resolved = resolveRunArgs(dirs, flags.history);
      if ('collecting' in resolved) {
        // Below the minimum no verdict is given, and nothing fails.
        const { have, need } = resolved.collecting;
        process.stdout.write(`collecting baseline (${have} of ${need}): no verdict yet\n`);
        process.exitCode = ExitCode.ok;
        return;
      }
      const runs = [];
      for (const dir of resolved.dirs) runs.push(await loadCompareRun(dir));
      const candidate = runs.pop() as CompareRun;
      if (!flags.force) {
        for (const base of runs) {
          const diffs = identityDifferences(base.identity, candidate.identity);
          if (diffs.length > 0) {
            throw new ConfigError(
              `compare: ${base.label} and ${candidate.label} are not runs of the same test: ${diffs.join('; ')} (use --force to compare them anyway)`,
              'TS_ARGS_INVALID',
            );
          }
        }
      }
      const comparison = compareRuns(runs.length === 1 ? (runs[0] as CompareRun) : runs, candidate, {
        bands,
      });
      if (flags.markdown) writeFileSync(flags.markdown, renderCompareMarkdown(comparison));
      if (flags.json) process.stdout.write(`${JSON.stringify(comparison, null, 2)}\n`);
      else if (!flags.quiet) process.stdout.write(`${renderCompareConsole(comparison)}\n`);
      process.exitCode =
        flags.failOn === 'regression' && comparison.verdict === 'regression'
          ? ExitCode.thresholdFailed
          : ExitCode.ok;
    });
}
