#!/usr/bin/env node
/**
 * An example LLM gateway with two upstreams and a circuit breaker, the kind of
 * app the failover recipe tests (docs/recipes.md). Plain node:http + undici.
 *
 *   node examples/apps/failover-gateway.mjs --primary URL --fallback URL [--port N] [--cooldown-ms N]
 *
 * Requests go to the primary. When it fails (5xx, 429 or no connection) the
 * circuit opens: this request and every one for `cooldown-ms` go to the
 * fallback. After the cooldown one request probes the primary (half-open); a
 * success closes the circuit (fail back), a failure opens it again. Answers,
 * SSE streams included, are passed through as they arrive, with
 * `x-served-by: primary|fallback`. GET /__gateway/stats reports the counts.
 * Prints `listening on http://127.0.0.1:PORT` first, like tokenstorm's servers.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    primary: { type: 'string' },
    fallback: { type: 'string' },
    port: { type: 'string', default: '0' },
    'cooldown-ms': { type: 'string', default: '1000' },
  },
});
if (values.primary === undefined || values.fallback === undefined) {
  process.stderr.write(
    'usage: failover-gateway.mjs --primary URL --fallback URL [--port N] [--cooldown-ms N]\n',
  );
  process.exit(2);
}
const upstreams = {
  primary: values.primary.replace(/\/$/, ''),
  fallback: values.fallback.replace(/\/$/, ''),
};
const cooldownMs = Number(values['cooldown-ms']);
const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000 });

/** closed: primary; open until `openUntil`: fallback; then one probe decides. */
const breaker = { state: 'closed', openUntil: 0, probing: false };
const stats = { primary: 0, fallback: 0, primaryFailures: 0, opened: 0, closed: 0 };

/** Which upstream this request tries first. */
function choose() {
  if (breaker.state === 'closed') return 'primary';
  if (Date.now() >= breaker.openUntil && !breaker.probing) {
    breaker.probing = true;
    return 'primary';
  }
  return 'fallback';
}

function primaryFailed() {
  stats.primaryFailures++;
  if (breaker.state === 'closed') stats.opened++;
  breaker.state = 'open';
  breaker.openUntil = Date.now() + cooldownMs;
  breaker.probing = false;
}

function primaryOk() {
  if (breaker.state !== 'closed') stats.closed++;
  breaker.state = 'closed';
  breaker.probing = false;
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length']);
const forwardHeaders = (headers) => Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k)));

async function send(which, req, body, signal) {
  return request(upstreams[which] + req.url, {
    method: req.method,
    headers: forwardHeaders(req.headers),
    body: body.length > 0 ? body : undefined,
    dispatcher,
    signal,
  });
}

const failed = (res) => res.statusCode >= 500 || res.statusCode === 429;

async function handle(req, res) {
  if (req.url === '/__gateway/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ...stats, state: breaker.state }));
    return;
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const body = Buffer.concat(chunks);
  const abort = new AbortController();
  // A client that goes away cancels the upstream request too (slots are freed upstream).
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  let which = choose();
  let upstream;
  try {
    upstream = await send(which, req, body, abort.signal);
    if (which === 'primary' && failed(upstream)) {
      await upstream.body.dump();
      upstream = undefined;
    }
  } catch {
    if (abort.signal.aborted) return;
    upstream = undefined;
  }
  if (which === 'primary') {
    if (upstream === undefined) {
      primaryFailed();
      which = 'fallback';
      upstream = await send(which, req, body, abort.signal).catch(() => undefined);
    } else primaryOk();
  }
  if (upstream === undefined) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'no upstream answered' } }));
    return;
  }
  stats[which]++;
  res.writeHead(upstream.statusCode, { ...forwardHeaders(upstream.headers), 'x-served-by': which });
  try {
    for await (const chunk of upstream.body) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  } catch {
    res.destroy();
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => res.destroy());
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => {
  server.close();
  server.closeAllConnections();
  void dispatcher.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
