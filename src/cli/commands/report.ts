/**
 * @module cli/commands/report
 * `tokenstorm report <run-dir>`: rebuilds summary.json and report.html from the records.
 * Exit 0 for a run that ended as planned, 98 for one that did not (killed,
 * interrupted, a worker terminated): its summary says `complete: false`.
 */
import { Command } from 'commander';
import { ConfigError } from '../../core/index.js';
import { renderConsoleSummary } from '../../report/index.js';
import { hasRunFiles } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { rebuildRun, writeCiFiles, writeOutputs } from '../run-outputs.js';

export function reportCommand(): Command {
  return new Command('report')
    .description('rebuild summary.json and report.html of a run directory from records.jsonl')
    .argument('<run-dir>', 'a run directory written by tokenstorm run')
    .option('-q, --quiet', 'do not print the summary')
    .option('--json', 'print summary.json to stdout instead of the table')
    .option('--junit <file>', 'also write the thresholds as JUnit XML (one test case per threshold)')
    .option('--markdown <file>', 'also write a Markdown summary (for a GitHub step summary or PR comment)')
    .action(
      async (dir: string, flags: { quiet?: boolean; json?: boolean; junit?: string; markdown?: string }) => {
        if (!hasRunFiles(dir)) {
          throw new ConfigError(
            `${dir}: not a run directory (expected run.json and records.jsonl)`,
            'TS_ARGS_INVALID',
          );
        }
        const rebuilt = await rebuildRun(dir);
        if (rebuilt.skippedLines.length > 0) {
          process.stderr.write(
            `warning: skipped unreadable records.jsonl line(s) ${rebuilt.skippedLines.join(', ')} (a torn write after a kill)\n`,
          );
        }
        writeOutputs(dir, rebuilt.summary);
        writeCiFiles(rebuilt.summary, flags);
        if (flags.json) process.stdout.write(`${JSON.stringify(rebuilt.summary, null, 2)}\n`);
        else if (!flags.quiet) process.stdout.write(`${renderConsoleSummary(rebuilt.summary)}\n`);
        // A run that did not finish is reported as such, never as a pass (its thresholds saw part of it).
        if (rebuilt.summary.complete === false) {
          process.stderr.write(`incomplete: ${rebuilt.summary.incomplete}\n`);
          process.exitCode = ExitCode.aborted;
        } else process.exitCode = ExitCode.ok;
      },
    );
}
