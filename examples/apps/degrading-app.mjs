#!/usr/bin/env node
/**
 * An example chat backend that degrades gracefully, the app the degradation
 * recipe tests (docs/recipes.md). Plain node:http + undici.
 *
 *   node examples/apps/degrading-app.mjs --upstream URL [--port N] [--cheap-at N] [--template-at N]
 *
 * It watches its inference server's queue (`vllm:num_requests_waiting` from
 * the upstream's /metrics, every 100 ms) and serves `POST /v1/chat/completions`
 * at one of three levels:
 *   0  the requested model, passed through (SSE streamed as it arrives);
 *   1  queue ≥ cheap-at: a cheaper model (`small-model`) with at most 16 tokens;
 *   2  queue ≥ template-at: a template answer at once, without the model.
 * Every answer carries `x-degradation-level`. GET /__app/levels returns the
 * level changes `[{ level, at_ms, waiting }]` and the answers per level.
 * Prints `listening on http://127.0.0.1:PORT` first.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';

const { values } = parseArgs({
  options: {
    upstream: { type: 'string' },
    port: { type: 'string', default: '0' },
    'cheap-at': { type: 'string', default: '4' },
    'template-at': { type: 'string', default: '12' },
  },
});
if (values.upstream === undefined) {
  process.stderr.write(
    'usage: degrading-app.mjs --upstream URL [--port N] [--cheap-at N] [--template-at N]\n',
  );
  process.exit(2);
}
const upstream = values.upstream.replace(/\/$/, '');
const cheapAt = Number(values['cheap-at']);
const templateAt = Number(values['template-at']);
const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000 });
const started = performance.now();

let level = 0;
const changes = [{ level: 0, at_ms: 0, waiting: 0 }];
const served = [0, 0, 0];

/** The level a queue depth calls for: up at once, down only below half the threshold that raised it. */
function levelFor(waiting) {
  if (waiting >= templateAt) return 2;
  if (level === 2 && waiting >= templateAt / 2) return 2;
  if (waiting >= cheapAt) return 1;
  if (level >= 1 && waiting >= cheapAt / 2) return 1;
  return 0;
}

async function watchQueue() {
  try {
    const res = await request(`${upstream}/metrics`, { dispatcher });
    const text = await res.body.text();
    const line = text.split('\n').find((l) => l.startsWith('vllm:num_requests_waiting'));
    const waiting = line === undefined ? 0 : Number(line.split(' ').pop());
    const next = levelFor(waiting);
    if (next !== level) {
      level = next;
      changes.push({ level, at_ms: Math.round(performance.now() - started), waiting });
    }
  } catch {
    // An unreachable /metrics keeps the current level: degrading on no data would hide an outage.
  }
}
const watcher = setInterval(watchQueue, 100);

const TEMPLATE = 'We are busy right now; here is our standard answer. Please try again in a minute.';

function templateAnswer(res, body) {
  const id = `chatcmpl-template-${served[2]}`;
  const created = Math.floor(Date.now() / 1000);
  const headers = { 'x-degradation-level': '2' };
  if (body.stream === true) {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream' });
    const chunk = (delta, finish) =>
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: 'template', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    res.end(`${chunk({ role: 'assistant', content: TEMPLATE }, null)}${chunk({}, 'stop')}data: [DONE]\n\n`);
    return;
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model: 'template',
      choices: [{ index: 0, message: { role: 'assistant', content: TEMPLATE }, finish_reason: 'stop' }],
    }),
  );
}

async function handle(req, res) {
  if (req.url === '/__app/levels') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ level, changes, served }));
    return;
  }
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'not found' } }));
    return;
  }
  const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
  const at = level;
  served[at]++;
  if (at === 2) {
    templateAnswer(res, body);
    return;
  }
  if (at === 1) {
    body.model = 'small-model';
    body.max_tokens = Math.min(body.max_tokens ?? 16, 16);
  }
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  try {
    const answer = await request(`${upstream}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      dispatcher,
      signal: abort.signal,
    });
    res.writeHead(answer.statusCode, {
      'content-type': answer.headers['content-type'] ?? 'application/json',
      'x-degradation-level': String(at),
    });
    for await (const chunk of answer.body) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
    res.end();
  }
}

const server = createServer((req, res) => {
  handle(req, res).catch(() => res.destroy());
});
server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => {
  clearInterval(watcher);
  server.close();
  server.closeAllConnections();
  void dispatcher.close();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
