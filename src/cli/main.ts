/**
 * @module cli/main
 * The `tokenstorm` command: one subcommand per file in `commands/`. Errors
 * reach stderr redacted (store/redact): a message may quote a URL or a header.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../core/index.js';
import { HistoryBusyError, redactText } from '../store/index.js';
import { compareCommand } from './commands/compare.js';
import { baselineCommand, historyCommand } from './commands/history.js';
import { mockCommand } from './commands/mock.js';
import { predictCheckCommand } from './commands/predict-check.js';
import { proxyCommand } from './commands/proxy.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { ExitCode } from './exit-codes.js';

const VERSION = '0.1.0';

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = new Command('tokenstorm')
    .description('Load testing for AI applications: LLM endpoints, chat apps, RAG services and agents')
    .version(VERSION)
    .exitOverride()
    .addCommand(runCommand())
    .addCommand(mockCommand())
    .addCommand(proxyCommand())
    .addCommand(reportCommand())
    .addCommand(compareCommand())
    .addCommand(historyCommand())
    .addCommand(baselineCommand())
    .addCommand(predictCheckCommand());
  // addCommand does not pass exitOverride on: without it a subcommand's usage error exits 1, not 2.
  const override = (command: Command): void => {
    for (const sub of command.commands) {
      sub.exitOverride();
      override(sub);
    }
  };
  override(program);
  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are successes; usage errors are bad arguments.
      process.exitCode = err.exitCode === 0 ? ExitCode.ok : ExitCode.badInput;
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`${redactText(err.message)}\n`);
      process.exitCode = ExitCode.badInput;
      return;
    }
    if (err instanceof HistoryBusyError) {
      process.stderr.write(`tokenstorm: ${redactText(err.message)}\n`);
      process.exitCode = ExitCode.internal;
      return;
    }
    process.stderr.write(`tokenstorm: internal error: ${redactText((err as Error)?.stack ?? String(err))}\n`);
    process.exitCode = ExitCode.internal;
  }
}
