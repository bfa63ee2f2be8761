/**
 * @module cli/commands/proxy
 * `tokenstorm proxy`: the fault-injecting HTTP/SSE proxy, until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import { ConfigError } from '../../config/errors.js';
import {
  type FaultProxy,
  loadProxyFaults,
  type ProxyFaultSetInput,
  startFaultProxy,
} from '../../sim/index.js';

interface ProxyOptions {
  upstream: string;
  port: string;
  host: string;
  faults?: string;
}

async function runProxy(options: ProxyOptions): Promise<void> {
  let proxy: FaultProxy;
  try {
    const port = Number(options.port);
    if (!/^\d+$/.test(options.port.trim()) || port > 65535) {
      throw new ConfigError(
        `--port: expected an integer from 0 to 65535, got ${JSON.stringify(options.port)}`,
        'TS_ARGS_INVALID',
      );
    }
    const faults: ProxyFaultSetInput =
      options.faults === undefined ? {} : await loadProxyFaults(options.faults);
    proxy = await startFaultProxy({ upstream: options.upstream, port, host: options.host, faults });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(
      `tokenstorm proxy: cannot listen on ${options.host}:${options.port}: ${(err as Error).message}\n`,
    );
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`listening on ${proxy.url}\n`);
  process.stdout.write(`forwarding to ${options.upstream}; faults at ${proxy.url}/__tokenstorm/faults\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      proxy.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  process.exitCode = 0;
}

/** The `proxy` command, ready to add to the main program. */
export function proxyCommand(): Command {
  return new Command('proxy')
    .description('run the fault-injecting HTTP/SSE proxy in front of an upstream')
    .requiredOption('--upstream <url>', 'where requests go, e.g. http://127.0.0.1:8000')
    .option('--port <n>', 'port to listen on; 0 picks a free one', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--faults <file>',
      'YAML or JSON fault set: { seed, faults: [{ kind, match, probability, ... }] }',
    )
    .action((options: ProxyOptions) => runProxy(options));
}
