/**
 * @module cli/commands/run
 * `tokenstorm run <test> [--out DIR] [--target URL] [--vus N] [--rate R] [--duration D] [-e K=V]`
 * At its end the run is recorded in the run history (store/history); a history failure only warns.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { loadTest, type Overrides, parseEnvArgs, type QualityTest, type Test } from '../../config/index.js';
import { ConfigError } from '../../core/index.js';
import { type RecordsMode, runTest, type TestSource } from '../../engine/index.js';
import { executorFor } from '../../load/index.js';
import { createLiveView, renderConsoleSummary } from '../../report/index.js';
import { gitLabels, RUN_FILES, type RunLabels, redactText } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { historyEntryOf, historyPathOf, parseTagArgs, recordInHistory } from '../history-record.js';
import { scoreQuality } from '../quality-scoring.js';
import { compareAtEnd, renderRunComparison } from '../run-compare.js';
import { notifyRun } from '../run-notify.js';
import {
  type QualityScoresFile,
  type RunSummary,
  rebuildRun,
  summarize,
  writeCiFiles,
  writeOutputs,
} from '../run-outputs.js';

/** The load flags `run` and `validate` share. */
interface LoadFlags {
  target?: string;
  vus?: string;
  rate?: string;
  duration?: string;
  model?: string;
  sample?: string;
}

interface RunFlags extends LoadFlags {
  out?: string;
  env: string[];
  quiet?: boolean;
  json?: boolean;
  workers?: string;
  records?: string;
  junit?: string;
  markdown?: string;
  history?: string | boolean;
  tag: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function numberFlag(name: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new ConfigError(
      `--${name}: expected a positive ${integer ? 'whole ' : ''}number, got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return n;
}

function modelFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigError('--model: expected a model name, got ""', 'TS_ARGS_INVALID');
  return value;
}

function sampleFlag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0 && n <= 1)) {
    throw new ConfigError(
      `--sample: expected a fraction of iterations, 0 < F <= 1 (e.g. 0.1), got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return n;
}

function recordsFlag(value: string | undefined): RecordsMode | undefined {
  if (value === undefined) return undefined;
  if (value === 'full' || value === 'off') return { mode: value };
  const match = /^sampled:(\d*\.?\d+)$/.exec(value);
  const rate = match ? Number(match[1]) : Number.NaN;
  if (!(rate > 0 && rate <= 1)) {
    throw new ConfigError(
      `--records: expected "full", "off" or "sampled:RATE" with 0 < RATE <= 1, got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return { mode: 'sampled', rate };
}

/** Ctrl-C once: stop starting iterations and let in-flight ones finish; twice: cancel them. */
function interruptHandling(log: (line: string) => void) {
  const stop = new AbortController();
  const cancel = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      log(`${signal}: stopping; in-flight requests get the graceful stop (again to cancel them)`);
      stop.abort(signal);
    } else {
      log(`${signal}: cancelling in-flight requests`);
      cancel.abort(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const dispose = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  return { stop: stop.signal, cancel: cancel.signal, dispose };
}

/**
 * Loads and validates a test file and builds its load plan, as `run` does
 * before anything starts (and `validate` without running it): a bad file, or a
 * schedule that cannot be built (a trace stretched past 24 days, too many
 * arrivals), is a ConfigError naming the file (exit 2).
 */
export async function loadRunnable(
  file: string,
  overrides: Overrides,
): Promise<{ test: Test; plan: ReturnType<typeof executorFor>['plan'] }> {
  const test = await loadTest(file, { overrides });
  try {
    return { test, plan: executorFor(test.load).plan };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`, err.code);
    throw err;
  }
}

/** The load flags `run` and `validate` share, checked. */
export function overridesOf(flags: LoadFlags): Overrides {
  return {
    target: flags.target,
    vus: numberFlag('vus', flags.vus, true),
    rate: numberFlag('rate', flags.rate, false),
    duration: flags.duration,
    model: modelFlag(flags.model),
    sample: sampleFlag(flags.sample),
  };
}

/** A test ready to run: validated, its plan built, and where each worker gets it. */
export interface Runnable {
  test: Test;
  plan: ReturnType<typeof executorFor>['plan'];
  source: TestSource;
}

/** The flags `run` and `bench` share: outputs, workers, records, history. */
export type RunOutputFlags = Omit<RunFlags, 'target' | 'vus' | 'rate' | 'duration'>;

async function run(file: string, flags: RunFlags): Promise<number> {
  const overrides = overridesOf(flags);
  return runLoaded(flags, dirname(resolve(file)), async () => ({
    ...(await loadRunnable(file, overrides)),
    source: { file: resolve(file), overrides },
  }));
}

/**
 * Runs a test and writes its run directory, summary and CI files: the one path
 * behind `run` and `bench` (whose test is built in memory). `present` renders
 * the console summary (default: the summary table); git labels are read in `dir`.
 */
export async function runLoaded(
  flags: RunOutputFlags,
  dir: string,
  load: () => Promise<Runnable>,
  present: (summary: RunSummary) => string = renderConsoleSummary,
): Promise<number> {
  const log = (line: string) => process.stderr.write(`${redactText(line)}\n`);
  const env = parseEnvArgs(flags.env);
  // -e values are seen by ${VAR} in YAML and by process.env in TypeScript tests.
  Object.assign(process.env, env);
  const workers = numberFlag('workers', flags.workers, true);
  const records = recordsFlag(flags.records);
  const cliTags = parseTagArgs(flags.tag);
  const historyPath = historyPathOf(flags.history);
  // Started now, read before the load starts; bounded, and never fails the run.
  const git = historyPath === undefined ? undefined : gitLabels(dir);
  // Installed before loading: an interrupt while loading still writes the run directory (exit 130).
  let say: (line: string) => void = log;
  const signals = interruptHandling((line) => say(line));
  // Validated here so a bad file exits 2 before anything starts; each worker loads it again.
  let loaded: Runnable;
  try {
    loaded = await load();
  } catch (err) {
    signals.dispose();
    throw err;
  }
  const { test, plan } = loaded;
  // The live view owns stderr while it runs: log lines go above its frame.
  const view = flags.quiet ? undefined : createLiveView(test.name, process.stderr, plan.stages);
  if (view !== undefined) say = (line: string) => view.log(redactText(line));
  const labels: RunLabels = { tags: { ...test.tags, ...cliTags } };
  // Notifications name the commit too, with or without a history.
  const gitLabel = await (git ?? (test.notify === undefined ? undefined : gitLabels(dir)));
  if (gitLabel !== undefined) labels.git = gitLabel;
  view?.start();
  let scores: QualityScoresFile | undefined;
  try {
    const result = await runTest(loaded.source, test, {
      labels,
      outDir: flags.out,
      workers,
      records,
      stop: signals.stop,
      cancel: signals.cancel,
      log: view === undefined ? undefined : say,
      onTally: view === undefined ? undefined : (delta, report) => view.stats.add(delta, report),
      onDropped: view === undefined ? undefined : (n) => view.stats.dropped(n),
      onProgress: view === undefined ? undefined : (p) => view.stats.progress(p),
      afterLoad:
        test.quality === undefined
          ? undefined
          : async ({ dir, aggregator, mockUrl }) => {
              scores = await scoreQuality(aggregator.qualityRows(), test.quality as QualityTest, mockUrl);
              if (scores !== undefined) {
                writeFileSync(join(dir, RUN_FILES.qualityScores), `${JSON.stringify(scores)}\n`);
              }
            },
    });
    view?.stop();
    // A terminated worker's last counts never arrived: its records on disk are the full account.
    const rebuilt =
      result.terminated.length > 0 && result.info.records?.mode === 'full'
        ? await rebuildRun(result.dir)
        : undefined;
    const summary =
      rebuilt?.summary ?? summarize(result.info, result.aggregator, result.info.durationS ?? 0, scores);
    // The test's compare: block, on a run that ended as planned; a regression of a fail_on figure fails it.
    const finished =
      !result.interruptedWhileLoading && result.info.aborted === undefined && result.terminated.length === 0;
    if (test.compare !== undefined && finished && summary.complete !== false) {
      const block = test.compare;
      summary.compare = await compareAtEnd(block, historyPath, {
        dir: result.dir,
        name: test.name,
        target: result.info.target,
        labels,
        summary,
      }).catch((err: unknown) => ({
        // A busy history or a broken baseline directory: no verdict, never a failed run.
        baseline: block.baseline,
        status: 'unavailable' as const,
        baseline_runs: [],
        fail_on: [...block.fail_on],
        failed: [],
        reason: redactText((err as Error).message),
      }));
      if (summary.compare.failed.length > 0) summary.passed = false;
    }
    writeOutputs(result.dir, summary);
    writeCiFiles(summary, flags);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const compared = summary.compare === undefined ? '' : `${renderRunComparison(summary.compare)}\n`;
      process.stdout.write(`${present(summary)}\n${compared}run directory: ${result.dir}\n`);
    }
    if (summary.generator?.limited) {
      for (const reason of summary.generator.reasons)
        log(`warning: generator may have limited this run: ${reason}`);
    }
    if (result.info.ended?.terminatedWorkers !== undefined) log(`tokenstorm: ${result.info.ended.reason}`);
    if (historyPath !== undefined && !result.interruptedWhileLoading) {
      const aggregator = rebuilt?.aggregator ?? result.aggregator;
      recordRun(historyPath, () => historyEntryOf(result.dir, result.info, summary, aggregator), log);
    }
    // Last, after everything that adds to summary.json; bounded (report/notify) and never fails the run.
    if (!result.interruptedWhileLoading) await notifyRun(test, result.dir, result.info, log);
    if (result.interruptedWhileLoading) {
      log(`${result.info.ended?.reason ?? 'interrupted while loading'}; run directory: ${result.dir}`);
      return ExitCode.interrupted;
    }
    if (result.info.aborted !== undefined) log(`run aborted: ${result.info.aborted}`);
    if (result.info.aborted !== undefined || result.terminated.length > 0) return ExitCode.aborted;
    return summary.passed ? ExitCode.ok : ExitCode.thresholdFailed;
  } finally {
    view?.stop();
    signals.dispose();
  }
}

/** Records the run in the history; any failure (a busy or broken file, a full disk) is a warning only. */
function recordRun(
  path: string,
  entry: () => ReturnType<typeof historyEntryOf>,
  log: (line: string) => void,
): void {
  try {
    const { id } = recordInHistory(path, entry(), 2000);
    log(`run history: run #${id} in ${path}`);
  } catch (err) {
    log(`warning: run not recorded in the run history (${path}): ${(err as Error).message}`);
  }
}

/** The options `run` and `bench` share: where results go, workers, records, history. */
export function addRunOutputOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'run directory (default: runs/<timestamp>-<name>)')
    .option('-e, --env <KEY=VALUE>', 'set a variable for ${KEY} in the test (repeatable)', collect, [])
    .option('--workers <n>', 'load worker threads (default: one per core, less one for the embedded mock)')
    .option('--records <mode>', 'what reaches records.jsonl: full (default), off, or sampled:RATE')
    .option('-q, --quiet', 'print only the final summary')
    .option('--json', 'print summary.json to stdout instead of the table')
    .option('--junit <file>', 'also write the thresholds as JUnit XML (one test case per threshold)')
    .option('--markdown <file>', 'also write a Markdown summary (for a GitHub step summary or PR comment)')
    .option(
      '--history <path>',
      'run history database (default .tokenstorm/history.db, or $TOKENSTORM_HISTORY)',
    )
    .option('--no-history', 'do not record this run in the run history')
    .option(
      '--tag <NAME=VALUE>',
      "label the run in the history (repeatable; adds to the test's tags:)",
      collect,
      [],
    );
}

export function runCommand(): Command {
  const command = new Command('run')
    .description('run a load test (YAML or TypeScript) and write its run directory')
    .argument('<test>', 'test file: .yaml, .yml, .json or .ts')
    .option(
      '--target <url>',
      'replace the test target: "mock" or an API base URL such as http://127.0.0.1:8000/v1',
    )
    .option('--vus <n>', 'closed model with N virtual users (replaces the load section executor)')
    .option('--rate <r>', 'open model at R iterations per second (replaces the load section executor)')
    .option('--duration <d>', 'replace the load duration, e.g. 30s or 2m')
    .option('--model <name>', "replace every model step's model (e.g. a cheap one for a shape run)")
    .option('--sample <fraction>', 'run only this fraction of iterations, chosen by the seed (e.g. 0.1)');
  return addRunOutputOptions(command).action(async (file: string, flags: RunFlags) => {
    process.exitCode = await run(file, flags);
  });
}
