/**
 * @module sim/listen
 * Puts a simulated server on its port and names its URL (a wildcard address
 * is reported as loopback, so the URL can be dialled).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Listens on `port` (0 picks a free one) and resolves with the port and the URL
 * to reach it. `exclusive`: in a cluster worker, take a socket of its own
 * instead of the primary's shared one (which every worker's `listen(0)` gets).
 */
export async function listen(
  server: Server,
  port: number,
  host: string,
  exclusive = false,
): Promise<{ port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return { port: bound, url: `http://${urlHost(host)}:${bound}` };
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
