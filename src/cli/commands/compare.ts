/**
 * @module cli/commands/compare
 * `tokenstorm compare <baseline>... <candidate>`: is the candidate run worse
 * than its baseline? One baseline run, or several (a rolling baseline judged by
 * its own run-to-run spread). Exit 0, or 99 with `--fail-on regression` when a
 * figure regressed; runs of different tests, targets or load are refused
 * (exit 2) unless `--force`. The statistics are analysis/compare's.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import {
  type CompareRequest,
  type CompareRun,
  type CompareSummary,
  compareRuns,
  identityDifferences,
} from '../../analysis/compare.js';
import { ConfigError } from '../../config/index.js';
import { renderCompareConsole, renderCompareMarkdown } from '../../report/compare-format.js';
import { hasRunFiles, RUN_FILES, readJsonl, readRunInfo } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';

interface CompareFlags {
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

export function compareCommand(): Command {
  return new Command('compare')
    .description(
      'compare a candidate run with a baseline run (or several: a rolling baseline): delta, CI and a verdict per figure',
    )
    .argument('<runs...>', 'baseline run directories, then the candidate run directory (last)')
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
      const runs = [];
      for (const dir of dirs) runs.push(await loadCompareRun(dir));
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
