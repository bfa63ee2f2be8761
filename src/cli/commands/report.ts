/**
 * @module cli/commands/report
 * `tokenstorm report <run-dir>`: rebuilds summary.json and report.html from the records.
 */
import { Command } from 'commander';
import { ConfigError } from '../../config/index.js';
import { renderConsoleSummary } from '../../report/index.js';
import { hasRunFiles } from '../../store/index.js';
import { ExitCode } from '../exit-codes.js';
import { rebuildRun, writeOutputs } from '../run-outputs.js';

export function reportCommand(): Command {
  return new Command('report')
    .description('rebuild summary.json and report.html of a run directory from records.jsonl')
    .argument('<run-dir>', 'a run directory written by tokenstorm run')
    .option('-q, --quiet', 'do not print the summary')
    .action(async (dir: string, flags: { quiet?: boolean }) => {
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
      if (!flags.quiet) process.stdout.write(`${renderConsoleSummary(rebuilt.summary)}\n`);
      process.exitCode = ExitCode.ok;
    });
}
