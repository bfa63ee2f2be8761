/**
 * @module cli/commands/history
 * `tokenstorm history [--test NAME] [--tag K=V]`, `history show ID`,
 * `history add DIR...` (a run directory from another machine) and
 * `tokenstorm baseline set NAME RUN` / `baseline list`, over the run history
 * (store/history). Bad arguments or an unknown run exit 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { ConfigError } from '../../core/index.js';
import { renderConsoleSummary, type Summary } from '../../report/index.js';
import {
  type History,
  type HistoryEntry,
  type HistoryRow,
  hasRunFiles,
  openHistory,
  RUN_FILES,
  readRunInfo,
} from '../../store/index.js';
import { historyEntryOf, historyPathOf, parseTagArgs } from '../history-record.js';
import { rebuildRun } from '../run-outputs.js';

interface HistoryFlags {
  history?: string | boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Runs `body` on the history; a reader (`orElse`) of a history not yet created gets `orElse` and creates nothing. */
function withHistory<T>(flags: HistoryFlags, body: (history: History) => T, orElse?: () => T): T {
  const path = historyPathOf(flags.history);
  if (path === undefined)
    throw new ConfigError('TOKENSTORM_HISTORY=off: this command needs a run history', 'TS_ARGS_INVALID');
  if (orElse !== undefined && !existsSync(path)) return orElse();
  const history = openHistory(path);
  try {
    return body(history);
  } finally {
    history.close();
  }
}

function runId(value: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new ConfigError(
      `expected a run id (a whole number from tokenstorm history), got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return id;
}

function fixed(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

function verdict(row: HistoryRow): string {
  if (!row.complete) return 'incomplete';
  return row.passed ? 'pass' : 'FAIL';
}

function tagsText(tags: Record<string, string>): string {
  const text = Object.entries(tags)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return text === '' ? '-' : text;
}

/** The listing: one line per run, newest first. */
function renderRows(rows: HistoryRow[]): string {
  const header = [
    'id',
    'started',
    'test',
    'target',
    'tags',
    'verdict',
    'requests',
    'err%',
    'ttft p50',
    'ttft p99',
    'e2e p99',
    'out tok/s',
    'git',
  ];
  const lines = rows.map((r) => [
    String(r.id),
    r.startedAt.replace('T', ' ').slice(0, 19),
    r.test,
    r.target,
    tagsText(r.tags),
    verdict(r),
    String(r.figures.requests),
    fixed(r.figures.errorRate * 100, 2),
    fixed(r.figures.ttftP50, 1),
    fixed(r.figures.ttftP99, 1),
    fixed(r.figures.e2eP99, 1),
    fixed(r.figures.outputTokensPerS, 1),
    r.git === undefined ? '-' : `${r.git.commit.slice(0, 8)}${r.git.dirty ? '+' : ''}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((c, i) => c.padEnd(widths[i] as number))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function list(
  flags: HistoryFlags & { test?: string; target?: string; tag: string[]; limit?: string; json?: boolean },
): void {
  const tags = parseTagArgs(flags.tag);
  const limit = flags.limit === undefined ? 50 : runId(flags.limit);
  const rows = withHistory(
    flags,
    (h) => h.list({ test: flags.test, target: flags.target, tags, limit }),
    () => [],
  );
  if (flags.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0) process.stdout.write('no runs recorded\n');
  else process.stdout.write(`${renderRows(rows)}\n`);
}

function show(id: string, flags: HistoryFlags & { json?: boolean; histograms?: boolean }): void {
  const run = withHistory(
    flags,
    (h) => h.get(runId(id)),
    () => undefined,
  );
  if (run === undefined) throw new ConfigError(`no run #${id} in the run history`, 'TS_ARGS_INVALID');
  if (flags.json) {
    const { histograms, ...rest } = run;
    const out = flags.histograms
      ? run
      : { ...rest, histograms: { run: Object.keys(histograms.run), windows: histograms.windows.length } };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const git =
    run.git === undefined
      ? '-'
      : `${run.git.commit}${run.git.branch ? ` (${run.git.branch})` : ''}${run.git.dirty ? ' dirty' : ''}`;
  const lines = [
    `run #${run.id}: ${run.test} (${verdict(run)})`,
    `  started   ${run.startedAt}, ${fixed(run.durationS, 1)} s`,
    `  target    ${run.target}`,
    `  tags      ${tagsText(run.tags)}`,
    `  git       ${git}`,
    `  directory ${run.runDir ?? '-'}`,
    `  histograms ${Object.keys(run.histograms.run).length} run-wide, ${run.histograms.windows.length} per-window`,
    '',
    renderConsoleSummary(run.summary),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function add(dirs: string[], flags: HistoryFlags & { tag: string[] }): Promise<void> {
  const tags = parseTagArgs(flags.tag);
  const entries: { dir: string; entry: HistoryEntry }[] = [];
  for (const dir of dirs) {
    if (!existsSync(join(dir, RUN_FILES.run))) {
      throw new ConfigError(`${dir}: not a run directory (expected run.json)`, 'TS_ARGS_INVALID');
    }
    const info = readRunInfo(dir);
    // Distributions from the records when they are all there; summary.json as the run wrote it when present.
    const full = info.records === undefined || info.records.mode === 'full';
    const rebuilt = full && hasRunFiles(dir) ? await rebuildRun(dir) : undefined;
    const summaryFile = join(dir, RUN_FILES.summary);
    const summary: Summary | undefined = existsSync(summaryFile)
      ? (JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary)
      : rebuilt?.summary;
    if (summary === undefined) {
      throw new ConfigError(`${dir}: neither summary.json nor records.jsonl to summarize`, 'TS_ARGS_INVALID');
    }
    entries.push({ dir, entry: historyEntryOf(dir, info, summary, rebuilt?.aggregator, tags) });
  }
  withHistory(flags, (h) => {
    for (const { dir, entry } of entries) {
      const { id, added } = h.add(entry);
      const note =
        entry.histograms.windows.length === 0 && Object.keys(entry.histograms.run).length === 0
          ? ' (no histograms: records not full)'
          : '';
      process.stdout.write(`${added ? 'added' : 'already recorded'}: run #${id} ${dir}${note}\n`);
    }
  });
}

const HISTORY_OPTION = [
  '--history <path>',
  'run history database (default .tokenstorm/history.db, or $TOKENSTORM_HISTORY)',
] as const;

export function historyCommand(): Command {
  // --history and --tag belong to `history` itself, so `history show 3 --history PATH` reads them there.
  const command = new Command('history')
    .description('list recorded runs, newest first (the run history, .tokenstorm/history.db)')
    .option(...HISTORY_OPTION)
    .option('--test <name>', 'only runs of this test')
    .option('--target <target>', 'only runs against this target')
    .option(
      '--tag <NAME=VALUE>',
      'only runs with this tag (repeatable); with add: tag the added runs',
      collect,
      [],
    )
    .option('--limit <n>', 'at most N runs (default 50)')
    .option('--json', 'print the runs as JSON')
    .action((flags) => list(flags));
  command
    .command('show')
    .description('one run: its labels and summary')
    .argument('<id>', 'run id from tokenstorm history')
    .option('--json', 'print the run as JSON')
    .option('--histograms', 'with --json: include the encoded histograms')
    .action((id: string, _flags, self: Command) => show(id, self.optsWithGlobals()));
  command
    .command('add')
    .description('record run directories (e.g. copied from another machine) in the history')
    .argument('<dir...>', 'run directories written by tokenstorm run')
    .action((dirs: string[], _flags, self: Command) => add(dirs, self.optsWithGlobals()));
  return command;
}

export function baselineCommand(): Command {
  const command = new Command('baseline').description('named baselines in the run history');
  command
    .command('set')
    .description('name a recorded run as a baseline (replaces an earlier one of that name)')
    .argument('<name>', 'baseline name, e.g. release-1.4')
    .argument('<run>', 'run id from tokenstorm history')
    .option(...HISTORY_OPTION)
    .action((name: string, run: string, flags: HistoryFlags) => {
      const id = runId(run);
      withHistory(flags, (h) => {
        try {
          h.setBaseline(name, id);
        } catch (err) {
          if (err instanceof RangeError) throw new ConfigError(err.message, 'TS_ARGS_INVALID');
          throw err;
        }
      });
      process.stdout.write(`baseline ${name}: run #${id}\n`);
    });
  command
    .command('list')
    .description('the named baselines')
    .option(...HISTORY_OPTION)
    .action((flags: HistoryFlags) => {
      const baselines = withHistory(
        flags,
        (h) => h.baselines(),
        () => [],
      );
      if (baselines.length === 0) process.stdout.write('no baselines\n');
      for (const b of baselines) process.stdout.write(`${b.name}\trun #${b.run}\tset ${b.setAt}\n`);
    });
  return command;
}
