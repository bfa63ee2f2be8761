/**
 * @module cli/commands/proxy
 * `tokenstorm proxy`: the fault-injecting HTTP/SSE proxy, until SIGINT/SIGTERM.
 */
import { Command } from 'commander';
import type { ProxyFaultSetInput } from '../../sim/index.js';
import { redactText } from '../../store/index.js';
import { integerFlag, serveUntilSignal } from '../serve.js';

interface ProxyOptions {
  upstream: string;
  port: string;
  host: string;
  faults?: string;
}

async function runProxy(options: ProxyOptions): Promise<void> {
  // The proxy's code is loaded by this command only, not by every `tokenstorm` start.
  const { loadProxyFaults, startFaultProxy } = await import('../../sim/index.js');
  const port = integerFlag('--port', options.port, 0, 65535);
  const faults: ProxyFaultSetInput =
    options.faults === undefined ? {} : await loadProxyFaults(options.faults);
  await serveUntilSignal(
    'proxy',
    `${options.host}:${port}`,
    () => startFaultProxy({ upstream: options.upstream, port, host: options.host, faults }),
    (url) => [`forwarding to ${redactText(options.upstream)}; faults at ${url}/__tokenstorm/faults`],
  );
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
