/**
 * @module cli/serve
 * What every server command (`mock`, `proxy`) does around its server: flags
 * checked as integers, `listening on URL` as the first line of stdout, and a
 * clean stop on SIGINT/SIGTERM. Bad flags throw ConfigError (exit 2, in main).
 */
import { ConfigError } from '../core/index.js';
import { ExitCode } from './exit-codes.js';

/** A running server a command owns. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** An integer flag within [min, max]. @throws ConfigError naming the flag. */
export function integerFlag(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(
      `${flag}: expected an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      'TS_ARGS_INVALID',
    );
  }
  return n;
}

/**
 * Starts a server and keeps it until SIGINT/SIGTERM. Settles only after the
 * shutdown, so a caller awaiting the command does not exit early. A server
 * that cannot listen exits 1 with the reason.
 */
export async function serveUntilSignal(
  command: string,
  where: string,
  start: () => Promise<RunningServer>,
  banner: (url: string) => string[] = () => [],
): Promise<void> {
  let server: RunningServer;
  try {
    server = await start();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    process.stderr.write(`tokenstorm ${command}: cannot listen on ${where}: ${(err as Error).message}\n`);
    process.exitCode = ExitCode.internal;
    return;
  }
  process.stdout.write(`listening on ${server.url}\n`);
  for (const line of banner(server.url)) process.stdout.write(`${line}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.exitCode = ExitCode.ok;
}
