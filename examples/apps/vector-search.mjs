#!/usr/bin/env node
/**
 * An example retrieval service for the RAG example (examples/rag.yaml): a
 * brute-force vector index that slows as it is hit harder. Plain node:http.
 *
 *   node examples/apps/vector-search.mjs [--port N] [--docs N] [--slots N] [--search-ms N]
 *
 * `POST /search { "vector": [..] | "<JSON array>", "k": 3 }` scores every
 * document of the index (cosine) and answers `{ "ids": [...], "context": "..." }`,
 * the top k documents' text joined. At most `--slots` searches run at once
 * (default 2), each holding its slot `--search-ms` (default 15 ms) plus the
 * scoring; the rest wait in a queue, so latency climbs once arrivals pass
 * slots / search time (≈ 130 searches/s by default): the index saturates
 * before a fast model does. `GET /__app/stats` returns searches, the longest
 * queue and the mean wait. Prints `listening on http://127.0.0.1:PORT` first.
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    docs: { type: 'string', default: '2000' },
    slots: { type: 'string', default: '2' },
    'search-ms': { type: 'string', default: '15' },
  },
});
const DOCS = Number(values.docs);
const SLOTS = Number(values.slots);
const SEARCH_MS = Number(values['search-ms']);
const TOPICS = ['tides', 'queues', 'latency', 'caching', 'batching', 'tokens', 'retries', 'vectors'];

/** A seeded generator (mulberry32), so the index is the same on every start. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Documents and their vectors, made for the dimension of the first query. */
let index;
function indexFor(dims) {
  if (index?.dims === dims) return index;
  const next = rng(42);
  const docs = [];
  for (let i = 0; i < DOCS; i++) {
    const v = new Float64Array(dims);
    let norm = 0;
    for (let d = 0; d < dims; d++) {
      v[d] = next() * 2 - 1;
      norm += v[d] * v[d];
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dims; d++) v[d] /= norm;
    docs.push({ id: i, vector: v, text: `Doc ${i} on ${TOPICS[i % TOPICS.length]}: a short passage.` });
  }
  index = { dims, docs };
  return index;
}

function search(vector, k) {
  const { docs } = indexFor(vector.length);
  const scored = docs.map((d) => {
    let s = 0;
    for (let j = 0; j < vector.length; j++) s += d.vector[j] * vector[j];
    return [s, d];
  });
  scored.sort((a, b) => b[0] - a[0]);
  return scored.slice(0, k).map(([, d]) => d);
}

let running = 0;
const queue = [];
const stats = { searches: 0, maxQueue: 0, waitMs: 0 };

function acquire() {
  if (running < SLOTS) {
    running++;
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    queue.push(resolve);
    stats.maxQueue = Math.max(stats.maxQueue, queue.length);
  });
}

function release() {
  const next = queue.shift();
  if (next !== undefined) next();
  else running--;
}

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__app/stats') {
    req.resume();
    send(res, 200, { ...stats, meanWaitMs: stats.searches > 0 ? stats.waitMs / stats.searches : 0 });
    return;
  }
  if (req.method !== 'POST' || req.url !== '/search') {
    req.resume();
    send(res, 404, { error: 'POST /search' });
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    let vector;
    let k = 3;
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      vector = typeof body.vector === 'string' ? JSON.parse(body.vector) : body.vector;
      if (body.k !== undefined) k = Number(body.k);
    } catch {
      send(res, 400, { error: 'expected JSON { vector, k }' });
      return;
    }
    if (!Array.isArray(vector) || vector.length === 0 || !vector.every((x) => typeof x === 'number')) {
      send(res, 400, { error: '"vector" must be a non-empty array of numbers' });
      return;
    }
    const queued = performance.now();
    await acquire();
    stats.waitMs += performance.now() - queued;
    stats.searches++;
    try {
      await new Promise((r) => setTimeout(r, SEARCH_MS));
      const hits = search(vector, k);
      send(res, 200, { ids: hits.map((d) => d.id), context: hits.map((d) => d.text).join('\n') });
    } finally {
      release();
    }
  });
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.close(() => process.exit(0)));
