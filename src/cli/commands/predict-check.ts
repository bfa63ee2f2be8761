/**
 * @module cli/commands/predict-check
 * `tokenstorm predict-check RUN --production FILE`: does the test environment
 * still predict production? At production's traffic level, the run's p95/p99
 * (interpolated over its stages or sweep steps, analysis/predict) against the
 * observed ones; the errors are kept in the run history per release, and
 * drift is flagged when they are off by more than ±15% three releases in a
 * row. Exit 0, 2 on bad input, 99 with `--fail-on drift` when drifted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Command } from 'commander';
import {
  curveOf,
  DRIFT_LIMIT,
  DRIFT_RELEASES,
  type Drift,
  driftOf,
  type PredictRow,
  ProductionFileError,
  type ProductionRow,
  parseProductionCsv,
  parseProductionJson,
  predictRows,
  type StageLike,
} from '../../analysis/index.js';
import { ConfigError } from '../../core/index.js';
import { renderTable } from '../../report/text-table.js';
import { type GitLabels, openHistory, RUN_FILES, readRunInfo } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { historyPathOf } from '../history-record.js';

interface PredictFlags {
  production: string[];
  release?: string;
  metric: string;
  endpointLabel?: string;
  prometheusUnit: string;
  history?: string | boolean;
  json?: boolean;
  failOn?: string;
}

/** The run as predict-check needs it. */
interface PredictRun {
  label: string;
  test: string;
  target: string;
  git?: GitLabels | undefined;
  runDir?: string | undefined;
  stages: StageLike[];
}

function argError(message: string): ConfigError {
  return new ConfigError(message, 'TS_ARGS_INVALID');
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function runFromDir(dir: string): PredictRun {
  const file = join(dir, RUN_FILES.summary);
  if (!existsSync(file) || !existsSync(join(dir, RUN_FILES.run))) {
    throw argError(
      `${dir}: not a run directory (expected run.json and summary.json), nor #ID of the run history`,
    );
  }
  const info = readRunInfo(dir);
  const summary = JSON.parse(readFileSync(file, 'utf8')) as { stages?: StageLike[] };
  return {
    label: dir,
    test: info.name,
    target: info.target,
    git: info.labels?.git,
    runDir: resolve(dir),
    stages: summary.stages ?? [],
  };
}

function runFromHistory(ref: string, historyPath: string | undefined): PredictRun {
  const id = Number(ref.slice(1));
  if (!Number.isInteger(id) || id <= 0)
    throw argError(`${ref}: expected #ID with ID a run id of the history`);
  if (historyPath === undefined)
    throw argError(`${ref}: names a run of the history, but --no-history was given`);
  const history = openHistory(historyPath);
  try {
    const run = history.get(id);
    if (run === undefined) throw argError(`${ref}: no such run in the history (${historyPath})`);
    return {
      label: ref,
      test: run.test,
      target: run.target,
      git: run.git,
      runDir: run.runDir,
      stages: (run.summary.stages ?? []) as StageLike[],
    };
  } finally {
    history.close();
  }
}

function readProduction(files: readonly string[], flags: PredictFlags): ProductionRow[] {
  if (files.length === 0) throw argError('--production: expected a production latency file (CSV or JSON)');
  const unit = flags.prometheusUnit;
  if (unit !== 's' && unit !== 'ms')
    throw argError(`--prometheus-unit: expected "s" or "ms", got ${JSON.stringify(unit)}`);
  const rows: ProductionRow[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw argError(`--production ${file}: cannot read the file`);
    }
    try {
      const json = extname(file).toLowerCase() === '.json' || /^\s*[[{]/.test(text);
      rows.push(
        ...(json
          ? parseProductionJson(text, file, { unit, endpointLabel: flags.endpointLabel })
          : parseProductionCsv(text, file)),
      );
    } catch (err) {
      if (err instanceof ProductionFileError) throw argError(`--production ${err.message}`);
      throw err;
    }
  }
  return rows;
}

/** The release a check is stored under: `--release`, else the run's git commit. */
function releaseOf(flags: PredictFlags, run: PredictRun): string {
  if (flags.release !== undefined) {
    if (flags.release.trim() === '') throw argError('--release: expected a name');
    return flags.release;
  }
  if (run.git !== undefined) return `${run.git.commit.slice(0, 12)}${run.git.dirty ? '-dirty' : ''}`;
  throw argError(`${run.label}: the run has no git commit to name its release; pass --release NAME`);
}

const pct = (x: number | null): string => (x === null ? '-' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`);
const ms = (x: number | null): string => (x === null ? '-' : x.toFixed(1));

function renderConsole(out: PredictCheckOutput): string {
  const lines = [
    `predict-check: ${out.test} (${out.target}), release ${out.release}, ${out.metric} by stage rate`,
    `run stages: ${out.curve.map((p) => `${p.stage} ${p.rate.toFixed(2)} req/s`).join(', ')}`,
    '',
    ...renderTable(
      [
        ['level', 'endpoint', 'req/s', 'quantile', 'predicted ms', 'observed ms', 'error'],
        ...out.rows.map((r) => [
          r.level,
          r.endpoint,
          r.rps.toFixed(2),
          r.quantile,
          ms(r.predicted),
          ms(r.observed),
          pct(r.error),
        ]),
      ],
      ['left', 'left', 'right', 'left', 'right', 'right', 'right'],
    ),
  ];
  for (const r of out.rows)
    if (r.note !== undefined) lines.push(`note: ${r.endpoint} ${r.quantile}: ${r.note}`);
  if (out.stored === false) lines.push('not stored in the run history (--no-history)');
  if (out.drift !== undefined) {
    const drifted = out.drift.series.filter((s) => s.drifted);
    if (drifted.length === 0)
      lines.push(
        `no drift: no series off by more than ±${DRIFT_LIMIT * 100}% in ${DRIFT_RELEASES} releases in a row`,
      );
    for (const s of drifted) {
      lines.push(
        `DRIFT: the test environment has drifted from production: ${s.endpoint} ${s.quantile} (${s.level}) off by more than ±${
          DRIFT_LIMIT * 100
        }% in the last ${DRIFT_RELEASES} releases (${s.releases.map((r) => `${r.release} ${pct(r.error)}`).join(', ')})`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}

export interface PredictCheckOutput {
  schema: 'tokenstorm.predict-check/v1';
  test: string;
  target: string;
  release: string;
  metric: string;
  run: string;
  curve: ReturnType<typeof curveOf>;
  rows: PredictRow[];
  stored: boolean;
  drift?: Drift;
}

async function predictCheck(ref: string, flags: PredictFlags): Promise<number> {
  if (flags.failOn !== undefined && flags.failOn !== 'drift') {
    throw argError(`--fail-on: expected "drift", got ${JSON.stringify(flags.failOn)}`);
  }
  const historyPath = historyPathOf(flags.history);
  const run = ref.startsWith('#') ? runFromHistory(ref, historyPath) : runFromDir(ref);
  const production = readProduction(flags.production, flags);
  const release = releaseOf(flags, run);
  const curve = curveOf(run.stages, flags.metric);
  if (curve.length < 2) {
    throw argError(
      `${run.label}: ${curve.length} measured stage(s) with ${flags.metric} p95/p99; predict-check interpolates over the stages of a staged run or the steps of a sweep (expected at least 2)`,
    );
  }
  const rows = predictRows(curve, production);
  const out: PredictCheckOutput = {
    schema: 'tokenstorm.predict-check/v1',
    test: run.test,
    target: run.target,
    release,
    metric: flags.metric,
    run: run.label,
    curve,
    rows,
    stored: historyPath !== undefined,
  };
  if (historyPath !== undefined) {
    const history = openHistory(historyPath);
    try {
      const known = rows.flatMap((r) =>
        r.predicted === null || r.error === null
          ? []
          : [{ ...r, predicted: r.predicted, error: r.error, quantile: r.quantile as string }],
      );
      history.addPredictChecks({
        test: run.test,
        target: run.target,
        release,
        runDir: run.runDir,
        rows: known.map(({ note: _note, ...r }) => r),
      });
      out.drift = driftOf(history.predictChecks(run.test, run.target));
    } finally {
      history.close();
    }
  }
  process.stdout.write(flags.json ? `${JSON.stringify(out, null, 2)}\n` : renderConsole(out));
  return flags.failOn === 'drift' && out.drift?.drifted ? ExitCode.thresholdFailed : ExitCode.ok;
}

export function predictCheckCommand(): Command {
  return new Command('predict-check')
    .description(
      "compare a staged run's or sweep's predicted p95/p99 at production's traffic level with production's (docs/predict-check.md)",
    )
    .argument('<run>', 'run directory, or #ID of the run history')
    .option(
      '--production <file>',
      'production latency: CSV, JSON or a Prometheus range-query export (repeatable)',
      collect,
      [],
    )
    .option('--release <name>', "release the error is stored under (default: the run's git commit)")
    .option('--metric <name>', 'latency metric the run predicts with: e2e_ms or ttft_ms', 'e2e_ms')
    .option(
      '--endpoint-label <label>',
      'Prometheus label naming the endpoint (default endpoint, handler, route or path)',
    )
    .option('--prometheus-unit <unit>', 'unit of Prometheus latency series: s or ms', 's')
    .option(
      '--history <path>',
      'run history database (default .tokenstorm/history.db, or $TOKENSTORM_HISTORY)',
    )
    .option('--no-history', 'do not store the errors (and give no drift verdict)')
    .option('--json', 'print the result as JSON')
    .option('--fail-on <what>', 'exit 99 when "drift" is flagged')
    .action(async (ref: string, flags: PredictFlags) => {
      if (!['e2e_ms', 'ttft_ms', 'tpot_ms', 'itl_ms'].includes(flags.metric)) {
        throw argError(
          `--metric: expected e2e_ms, ttft_ms, tpot_ms or itl_ms, got ${JSON.stringify(flags.metric)}`,
        );
      }
      process.exitCode = await predictCheck(ref, flags);
    });
}
