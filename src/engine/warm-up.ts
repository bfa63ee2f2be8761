/**
 * @module engine/warm-up
 * Runs the request path on a loopback server of the worker's own before the
 * run clock starts, so the first second of a run is not measured on cold
 * code. A cold worker sends its first thousand requests at a fraction of its
 * speed; in an open model the arrivals pile up, undici opens a connection for
 * each and the run drops thousands of arrivals before it recovers (bench/).
 * The target sees none of this traffic.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent } from 'undici';
import { parseTest, type Test } from '../config/index.js';
import type { ExecutionPlan } from '../load/index.js';
import { createClock } from '../protocols/index.js';
import { listen } from '../sim/listen.js';
import { Workload } from '../workload/index.js';

export interface WarmUpOptions {
  /** The test to warm up for: only the kinds of request it sends are exercised (others would teach the JIT the wrong shapes). */
  test?: Test;
  /** Stop after this many requests… */
  requests?: number;
  /** …or after this long (ms), whichever comes first. */
  maxMs?: number;
  /** Requests kept in flight at once. */
  concurrency?: number;
}

/** The reply bodies of a chat (`delta`/`message`) or completion (`text`) endpoint. */
function replies(chat: boolean) {
  const choice = (last: boolean, json: boolean) =>
    chat
      ? json
        ? { index: 0, message: { role: 'assistant', content: 'warm' }, finish_reason: 'stop' }
        : { index: 0, delta: last ? {} : { content: ' warm' }, finish_reason: last ? 'stop' : null }
      : { index: 0, text: last ? '' : ' warm', finish_reason: last ? 'stop' : null };
  const usage = { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 };
  const chunk = JSON.stringify({ id: 'warm', choices: [choice(false, false)] });
  const last = JSON.stringify({ id: 'warm', choices: [choice(true, false)], usage });
  return {
    stream: `data: ${chunk}\n\ndata: ${chunk}\n\ndata: ${chunk}\n\ndata: ${last}\n\ndata: [DONE]\n\n`,
    json: JSON.stringify({ id: 'warm', choices: [choice(false, true)], usage }),
  };
}
const CHAT = replies(true);
const COMPLETION = replies(false);

/** Answers GETs with a short body, chat requests as an OpenAI-compatible server would. */
function answer(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') {
    res.end('ok');
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    const reply = req.url?.endsWith('/chat/completions') ? CHAT : COMPLETION;
    if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' }).end(reply.stream);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(reply.json);
    }
  });
}

export type Kind = 'http' | 'chat' | 'chat-json' | 'completion' | 'completion-json';

/** Warm-up requests per worker, at most (~1 s on a busy core). */
const MAX_WARM_UP_REQUESTS = 3000;

/** How many requests a worker warms up with: about a second of its share of the peak load. */
export function warmUpRequests(plan: ExecutionPlan, workers: number): number {
  // A reduce, not Math.max(...series): a day-long soak has 86,400 points, too many arguments.
  const peak = (plan.offered?.series ?? [{ value: plan.maxConcurrency }]).reduce(
    (m, p) => Math.max(m, p.value),
    0,
  );
  // A closed model's VU sends many requests a second to a fast target: count 50 each.
  const perSecond = plan.offered?.unit === 'iterations_per_s' ? peak : peak * 50;
  return Math.min(MAX_WARM_UP_REQUESTS, Math.ceil(perSecond / workers));
}

/** The kinds of request a test sends (without a test: plain HTTP and streamed chat). */
function kindsOf(test: Test | undefined): Set<Kind> {
  const kinds = new Set<Kind>();
  if (test === undefined) return kinds.add('http').add('chat');
  for (const scenario of test.scenarios) {
    // A TypeScript flow may send anything; these are what flows mostly send.
    if ('flow' in scenario && scenario.flow !== undefined) kinds.add('http').add('chat');
    if ('session' in scenario && scenario.session !== undefined) {
      kinds.add(scenario.session.chat.stream === false ? 'chat-json' : 'chat');
    }
    for (const step of ('steps' in scenario ? scenario.steps : undefined) ?? []) {
      if ('http' in step) kinds.add('http');
      else if ('chat' in step) kinds.add(step.chat.stream ? 'chat' : 'chat-json');
      else kinds.add(step.completion.stream ? 'completion' : 'completion-json');
    }
  }
  return kinds;
}

function warmScenario(kind: Kind): Record<string, unknown> {
  const messages = [{ role: 'user', content: 'warm up' }];
  switch (kind) {
    case 'http':
      return { name: kind, steps: [{ http: { url: '/' } }] };
    case 'chat':
    case 'chat-json':
      return { name: kind, steps: [{ chat: { model: 'warm', messages, stream: kind === 'chat' } }] };
    default:
      return {
        name: kind,
        steps: [{ completion: { model: 'warm', prompt: 'warm up', stream: kind === 'completion' } }],
      };
  }
}

/** What a warm-up sent, by outcome. */
export interface WarmUpResult {
  sent: number;
  /** Requests that ended ok: the normal path, not an error path, was exercised. */
  ok: number;
  kinds: Kind[];
}

/** Exercises the workload and protocol code against a loopback server. */
export async function warmUp(options: WarmUpOptions = {}): Promise<WarmUpResult> {
  const requests = options.requests ?? 3000;
  const kinds = [...kindsOf(options.test)];
  if (requests <= 0) return { sent: 0, ok: 0, kinds };
  const deadline = performance.now() + (options.maxMs ?? 1500);
  const server = createServer({ keepAliveTimeout: 5_000 }, answer);
  const { url } = await listen(server, 0, '127.0.0.1');
  const dispatcher = new Agent({ connections: null, headersTimeout: 0, bodyTimeout: 0 });
  const test = parseTest(
    {
      target: url,
      scenarios: kinds.map(warmScenario),
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'warm-up',
  );
  const workload = new Workload(test, url);
  const clock = createClock();
  let sent = 0;
  let ok = 0;
  const sink = (record: { outcome: string }): void => {
    if (record.outcome === 'ok') ok++;
  };
  const loop = async (vu: number): Promise<void> => {
    while (sent < requests && performance.now() < deadline) {
      const iteration = sent++;
      await workload.runIteration({ vu, iteration, scheduled: clock(), sink, dispatcher, clock });
    }
  };
  try {
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, (_, vu) => loop(vu)));
  } finally {
    await workload.close();
    await dispatcher.destroy().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  return { sent, ok, kinds };
}
