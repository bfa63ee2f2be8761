/**
 * @module sim/proxy/proxy-control
 * The client side of the proxy's control API: a test timeline switches faults
 * on and off by posting fault sets to `/__tokenstorm/faults`.
 */
import { request } from 'undici';
import type { ProxyFaultSet, ProxyFaultSetInput } from './proxy-faults.js';

/** The control API's path on every proxy. */
export const CONTROL_PATH = '/__tokenstorm/faults';

function controlEndpoint(controlUrl: string): string {
  const base = controlUrl.replace(/\/$/, '');
  return base.endsWith(CONTROL_PATH) ? base : base + CONTROL_PATH;
}

/**
 * Replaces a running proxy's fault set (`{ faults: [] }` clears it) and
 * returns the set now active. `controlUrl` is the proxy's URL or its control URL.
 * @throws Error with the proxy's message when it refuses the set (HTTP 400).
 */
export async function setProxyFaults(controlUrl: string, faults: ProxyFaultSetInput): Promise<ProxyFaultSet> {
  const res = await request(controlEndpoint(controlUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
  });
  const body = (await res.body.json()) as ProxyFaultSet & { error?: { message: string } };
  if (res.statusCode !== 200) throw new Error(body.error?.message ?? `proxy answered ${res.statusCode}`);
  return body;
}

/** The fault set a running proxy applies now. */
export async function getProxyFaults(controlUrl: string): Promise<ProxyFaultSet> {
  const res = await request(controlEndpoint(controlUrl));
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`proxy answered ${res.statusCode}`);
  }
  return (await res.body.json()) as ProxyFaultSet;
}
