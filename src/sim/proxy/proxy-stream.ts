/**
 * @module sim/proxy/proxy-stream
 * Copies an upstream response to the client chunk by chunk as it arrives
 * (honouring backpressure), and plays the stream faults on the way: stall
 * (stop sending, hold the connection), cut (drop it) and bandwidth limits.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import type { ProxyDecision } from './proxy-faults.js';

/** Response headers that belong to the upstream connection, not to the answer. */
const SKIP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'trailer',
  'upgrade',
]);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Streams `up` into `res`; resolves when done, cut or stalled (a stall keeps `res` open). */
export async function pipeResponse(
  up: Dispatcher.ResponseData,
  res: ServerResponse,
  decision: ProxyDecision,
  abort: AbortController,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(up.headers)) {
    if (value !== undefined && !SKIP.has(name)) headers[name] = value;
  }
  const strike = decision.stream;
  // A stream fault changes the length of the body, so the upstream length no longer holds.
  if (strike !== undefined) delete headers['content-length'];
  res.writeHead(up.statusCode, headers);
  res.flushHeaders();

  const startedAt = performance.now();
  const rate = decision.bytesPerS;
  let bytes = 0;
  let chunks = 0;
  let struck = false;
  const hit = (): void => {
    struck = true;
    // Stop reading upstream either way: the client will not get the rest.
    abort.abort();
    if (strike?.kind === 'cut' && res.socket) res.socket.end();
  };
  let timer: NodeJS.Timeout | undefined;
  if (strike?.afterMs !== undefined) {
    timer = setTimeout(hit, Math.max(0, strike.afterMs - (performance.now() - startedAt)));
  } else if (strike !== undefined && strike.afterBytes === undefined && strike.afterChunks === undefined) {
    hit();
  }
  try {
    for await (const data of up.body) {
      if (struck || res.destroyed) break;
      let chunk = data as Buffer;
      if (strike?.afterBytes !== undefined && bytes + chunk.length >= strike.afterBytes) {
        chunk = chunk.subarray(0, strike.afterBytes - bytes);
        if (chunk.length > 0) res.write(chunk);
        bytes += chunk.length;
        hit();
        break;
      }
      if (rate !== undefined) {
        // Paced in slices of at most 1/20 s of budget, so the limit holds within a chunk too.
        const slice = Math.max(1, Math.floor(rate / 20));
        for (let i = 0; i < chunk.length && !res.destroyed; i += slice) {
          const part = chunk.subarray(i, i + slice);
          const due = startedAt + ((bytes + part.length) / rate) * 1000;
          const wait = due - performance.now();
          if (wait > 0) await sleep(wait);
          if (!res.write(part)) await once(res, 'drain');
          bytes += part.length;
        }
      } else {
        bytes += chunk.length;
        if (!res.write(chunk)) await once(res, 'drain');
      }
      chunks++;
      if (strike?.afterChunks !== undefined && chunks >= strike.afterChunks) {
        hit();
        break;
      }
    }
  } catch {
    // Upstream broke mid-body (or we aborted it): the client sees the same cut.
    if (!struck && !res.destroyed) res.destroy();
    return;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
  if (struck || res.destroyed) return;
  res.end();
}
