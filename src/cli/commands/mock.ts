/**
 * @module cli/commands/mock
 * `tokenstorm mock`: runs the mock LLM server in this process until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import { ConfigError } from '../../config/errors.js';
import {
  loadMockProfile,
  type MockProfileInput,
  parseMockProfile,
  startMockCluster,
  startMockServer,
} from '../../sim/index.js';

interface MockOptions {
  port: string;
  host: string;
  profile?: string;
  seed?: string;
  workers?: string;
}

function parseInteger(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(
      `${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return n;
}

async function runMock(options: MockOptions): Promise<void> {
  let profile: MockProfileInput;
  let port: number;
  let workers = 1;
  try {
    port = parseInteger('--port', options.port, 0, 65535);
    profile = options.profile === undefined ? parseMockProfile({}) : await loadMockProfile(options.profile);
    if (options.seed !== undefined) {
      profile = { ...profile, seed: parseInteger('--seed', options.seed, -(2 ** 31), 2 ** 32 - 1) };
    }
    workers =
      options.workers === undefined
        ? (profile.workers ?? 1)
        : parseInteger('--workers', options.workers, 1, 64);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
    return;
  }

  let server: { url: string; close(): Promise<void> };
  try {
    server =
      workers > 1
        ? await startMockCluster({ workers, port, host: options.host, profile })
        : await startMockServer({ port, host: options.host, profile });
  } catch (err) {
    process.stderr.write(
      `tokenstorm mock: cannot listen on ${options.host}:${port}: ${(err as Error).message}\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`listening on ${server.url}\n`);

  // The action settles only after shutdown, so a caller awaiting parseAsync does not exit early.
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.exitCode = 0;
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
