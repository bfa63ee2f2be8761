/**
 * @module cli/commands/run
 * `tokenstorm run <test> [--out DIR] [--target URL] [--vus N] [--rate R] [--duration D] [-e K=V]`
 * At its end the run is recorded in the run history (store/history); a history failure only warns.
 */
import { dirname, resolve } from 'node:path';
import { Command } from 'commander';
import { loadTest, parseEnvArgs } from '../../config/index.js';
import { ConfigError } from '../../core/index.js';
import { type RecordsMode, runTest } from '../../engine/index.js';
import { executorFor } from '../../load/index.js';
import { createLiveView, renderConsoleSummary } from '../../report/index.js';
import { gitLabels, type RunLabels, redactText } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { historyEntryOf, historyPathOf, parseTagArgs, recordInHistory } from '../history-record.js';
import { notifyRun } from '../run-notify.js';
import { rebuildRun, summarize, writeCiFiles, writeOutputs } from '../run-outputs.js';

interface RunFlags {
  out?: string;
  target?: string;
  vus?: string;
  rate?: string;
  duration?: string;
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

async function run(file: string, flags: RunFlags): Promise<number> {
  const log = (line: string) => process.stderr.write(`${redactText(line)}\n`);
  const env = parseEnvArgs(flags.env);
  // -e values are seen by ${VAR} in YAML and by process.env in TypeScript tests.
  Object.assign(process.env, env);
  const overrides = {
    target: flags.target,
    vus: numberFlag('vus', flags.vus, true),
    rate: numberFlag('rate', flags.rate, false),
    duration: flags.duration,
  };
  const workers = numberFlag('workers', flags.workers, true);
  const records = recordsFlag(flags.records);
  const cliTags = parseTagArgs(flags.tag);
  const historyPath = historyPathOf(flags.history);
  // Started now, read before the load starts; bounded, and never fails the run.
  const git = historyPath === undefined ? undefined : gitLabels(dirname(resolve(file)));
  // Installed before loading: an interrupt while loading still writes the run directory (exit 130).
  let say: (line: string) => void = log;
  const signals = interruptHandling((line) => say(line));
  // Validated here so a bad file exits 2 before anything starts; each worker loads it again.
  const test = await loadTest(file, { overrides }).catch((err: unknown) => {
    signals.dispose();
    throw err;
  });
  // The plan too, so a schedule that cannot be built (a trace stretched past 24 days,
  // too many arrivals) exits 2 here rather than failing in every worker.
  let plan: ReturnType<typeof executorFor>['plan'];
  try {
    plan = executorFor(test.load).plan;
  } catch (err) {
    signals.dispose();
    if (err instanceof ConfigError) throw new ConfigError(`${file}: ${err.message}`, err.code);
    throw err;
  }
  // The live view owns stderr while it runs: log lines go above its frame.
  const view = flags.quiet ? undefined : createLiveView(test.name, process.stderr, plan.stages);
  if (view !== undefined) say = (line: string) => view.log(redactText(line));
  const labels: RunLabels = { tags: { ...test.tags, ...cliTags } };
  // Notifications name the commit too, with or without a history.
  const gitLabel = await (git ?? (test.notify === undefined ? undefined : gitLabels(dirname(resolve(file)))));
  if (gitLabel !== undefined) labels.git = gitLabel;
  view?.start();
  try {
    const result = await runTest({ file: resolve(file), overrides }, test, {
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
    });
    view?.stop();
    // A terminated worker's last counts never arrived: its records on disk are the full account.
    const rebuilt =
      result.terminated.length > 0 && result.info.records?.mode === 'full'
        ? await rebuildRun(result.dir)
        : undefined;
    const summary = rebuilt?.summary ?? summarize(result.info, result.aggregator, result.info.durationS ?? 0);
    writeOutputs(result.dir, summary);
    writeCiFiles(summary, flags);
    if (flags.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    else process.stdout.write(`${renderConsoleSummary(summary)}\nrun directory: ${result.dir}\n`);
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

export function runCommand(): Command {
  return new Command('run')
    .description('run a load test (YAML or TypeScript) and write its run directory')
    .argument('<test>', 'test file: .yaml, .yml, .json or .ts')
    .option('--out <dir>', 'run directory (default: runs/<timestamp>-<name>)')
    .option(
      '--target <url>',
      'replace the test target: "mock" or an API base URL such as http://127.0.0.1:8000/v1',
    )
    .option('--vus <n>', 'closed model with N virtual users (replaces the load section executor)')
    .option('--rate <r>', 'open model at R iterations per second (replaces the load section executor)')
    .option('--duration <d>', 'replace the load duration, e.g. 30s or 2m')
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
    )
    .action(async (file: string, flags: RunFlags) => {
      process.exitCode = await run(file, flags);
    });
}
