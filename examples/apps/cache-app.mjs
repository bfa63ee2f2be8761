#!/usr/bin/env node
/**
 * An example FAQ service with an answer cache in front of an LLM, the app the
 * thundering-herd recipe tests (docs/recipes.md). Plain node:http + undici.
 *
 *   node examples/apps/cache-app.mjs --upstream URL [--port N] [--ttl-ms N] [--coalesce]
 *
 * `GET /answer?q=KEY` answers from the cache; a miss asks the model
 * (`POST {upstream}/v1/chat/completions`, not streamed) and caches the answer
 * for `ttl-ms`. Without `--coalesce`, every request that misses while the
 * answer is being fetched calls the model too (a thundering herd on a popular
 * key); with it, they all wait for the one call in flight. GET /__app/stats
 * returns `{ upstreamCalls, hits, misses, refills: [{ key, calls }] }`: calls
 * per refill is the herd size. Prints `listening on http://127.0.0.1:PORT` first.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    'ttl-ms': { type: 'string', default: '1000' },
    coalesce: { type: 'boolean', default: false },
  },
});
if (values.upstream === undefined) {
  process.stderr.write('usage: cache-app.mjs --upstream URL [--port N] [--ttl-ms N] [--coalesce]\n');
  process.exit(2);
}
const upstream = values.upstream.replace(/\/$/, '');
const ttlMs = Number(values['ttl-ms']);
const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000 });

/** key → { answer, expires } */
const cache = new Map();
/** key → { promise, refill } while a fetch is in flight (coalescing only) */
const inFlight = new Map();
/** key → the refill now open: misses since the entry expired count into it. */
const openRefill = new Map();
const stats = { upstreamCalls: 0, hits: 0, misses: 0, refills: [] };

async function askModel(key) {
  const res = await request(`${upstream}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'mock-model',
      stream: false,
      max_tokens: 16,
      messages: [{ role: 'user', content: key }],
    }),
    dispatcher,
  });
  const body = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`model answered ${res.statusCode}`);
  return body.choices[0].message.content;
}

/** Counts an upstream call into the refill of `key` (one refill per expiry). */
function countCall(key) {
  stats.upstreamCalls++;
  let refill = openRefill.get(key);
  if (refill === undefined) {
    refill = { key, calls: 0 };
    openRefill.set(key, refill);
    stats.refills.push(refill);
  }
  refill.calls++;
}

async function fetchAndStore(key) {
  countCall(key);
  const answer = await askModel(key);
  cache.set(key, { answer, expires: Date.now() + ttlMs });
  openRefill.delete(key);
  return answer;
}

async function answerFor(key) {
  const hit = cache.get(key);
  if (hit !== undefined && hit.expires > Date.now()) {
    stats.hits++;
    return hit.answer;
  }
  stats.misses++;
  if (!values.coalesce) return fetchAndStore(key);
  let pending = inFlight.get(key);
  if (pending === undefined) {
    pending = fetchAndStore(key).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/__app/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  if (url.pathname !== '/answer') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found' } }));
    return;
  }
  try {
    const answer = await answerFor(url.searchParams.get('q') ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ answer }));
  } catch (err) {
    res.writeHead(502, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: String(err) } }));
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
