/**
 * @module cli/commands/mock
 * `tokenstorm mock`: runs the mock LLM server in this process until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import type { MockProfileInput } from '../../sim/index.js';
import { integerFlag, serveUntilSignal } from '../serve.js';

interface MockOptions {
  port: string;
  host: string;
  profile?: string;
  seed?: string;
  workers?: string;
}

async function runMock(options: MockOptions): Promise<void> {
  // The mock's code is loaded by this command only, not by every `tokenstorm` start.
  const { loadMockProfile, parseMockProfile, startMockCluster, startMockServer } = await import(
    '../../sim/index.js'
  );
  const port = integerFlag('--port', options.port, 0, 65535);
  let profile: MockProfileInput =
    options.profile === undefined ? parseMockProfile({}) : await loadMockProfile(options.profile);
  if (options.seed !== undefined) {
    profile = { ...profile, seed: integerFlag('--seed', options.seed, -(2 ** 31), 2 ** 32 - 1) };
  }
  const workers =
    options.workers === undefined ? (profile.workers ?? 1) : integerFlag('--workers', options.workers, 1, 64);
  await serveUntilSignal('mock', `${options.host}:${port}`, () =>
    workers > 1
      ? startMockCluster({ workers, port, host: options.host, profile })
      : startMockServer({ port, host: options.host, profile, warmUp: true }),
  );
}

/** The `mock` command, ready to add to the main program. */
export function mockCommand(): Command {
  return new Command('mock')
    .description('run the mock OpenAI-compatible LLM server (OpenAI base URL: <printed url>/v1)')
    .option('--port <n>', 'port to listen on; 0 picks a free one', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--profile <file>',
      'YAML or JSON profile (docs/mock-server.md): timing, engine, cache, rate_limits, faults',
    )
    .option('--seed <n>', 'seed for answers and timing (overrides the profile)')
    .option('--workers <n>', 'processes sharing the port, each a replica (overrides the profile)')
    .action((options: MockOptions) => runMock(options));
}
