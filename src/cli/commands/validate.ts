/**
 * @module cli/commands/validate
 * `tokenstorm validate <test> [--json]` (k6's `inspect`): loads and checks a
 * test exactly as `run` does (the same `loadRunnable`, so a bad file exits 2
 * with the same message) and prints its plan (cli/test-plan) without sending
 * anything or starting a server: a file can be checked in CI or an editor.
 */
import { Command } from 'commander';
import { parseEnvArgs } from '../../config/index.js';
import { ExitCode } from '../exit-codes.js';
import { planOf, renderPlan } from '../test-plan.js';
import { loadRunnable, overridesOf } from './run.js';

interface ValidateFlags {
  json?: boolean;
  target?: string;
  vus?: string;
  rate?: string;
  duration?: string;
  env: string[];
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function validateCommand(): Command {
  return new Command('validate')
    .description(
      'check a test file and print its plan (load, expected requests, scenarios, thresholds) without running it',
    )
    .argument('<test>', 'test file: .yaml, .yml, .json or .ts')
    .option('--json', 'print the plan as JSON')
    .option('--target <url>', 'as on run: replace the test target')
    .option('--vus <n>', 'as on run: closed model with N virtual users')
    .option('--rate <r>', 'as on run: open model at R iterations per second')
    .option('--duration <d>', 'as on run: replace the load duration')
    .option('-e, --env <KEY=VALUE>', 'set a variable for ${KEY} in the test (repeatable)', collect, [])
    .action(async (file: string, flags: ValidateFlags) => {
      Object.assign(process.env, parseEnvArgs(flags.env));
      const { test } = await loadRunnable(file, overridesOf(flags));
      const plan = await planOf(test);
      process.stdout.write(flags.json ? `${JSON.stringify(plan, null, 2)}\n` : renderPlan(plan, file));
      process.exitCode = ExitCode.ok;
    });
}
