/**
 * @module engine/warm-up
 * Runs the request path on a loopback server of the worker's own before the
 * run clock starts, so the first second of a run is not measured on cold
 * code. A cold worker sends its first thousand requests at a fraction of its
 * speed; in an open model the arrivals pile up, the client opens a connection for
 * each and the run drops thousands of arrivals before it recovers (bench/).
 * The target sees none of this traffic.
 */
import { setMaxListeners } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseTest, type Test } from '../config/index.js';
import { type Clock, createClock, type RequestRecord } from '../core/index.js';
import { type ExecutionPlan, executorFor, localCounter } from '../load/index.js';
import {
  HttpClient,
  type HttpTransport,
  type StepKindEntry,
  type StepWarmUp,
  stepKind,
  stepKindOf,
} from '../protocols/index.js';
import { listen } from '../sim/listen.js';
import { Workload } from '../workload/index.js';
import { drive } from './drive.js';
import { HEAVY_SHARE_PER_S, peakShare } from './heavy-load.js';
import { InFlight } from './in-flight.js';

export interface WarmUpOptions {
  /** The test to warm up for: only the kinds of request it sends are exercised (others would teach the JIT the wrong shapes). */
  test?: Test;
  /** Stop after this many requests… */
  requests?: number;
  /** …or after this long (ms), whichever comes first. */
  maxMs?: number;
  /** The run's plan: an open model warms up with arrivals, a closed one with VUs. */
  plan?: ExecutionPlan;
  /** Workers sharing the plan (the warm-up takes one worker's share). */
  workers?: number;
  /** The transport the run will use (its own pool serves the loopback origin); default a fresh client. */
  dispatcher?: HttpTransport;
  /** The run's clock (its origin may move later); default a fresh one. */
  clock?: Clock;
  /** Where the run's records go; warm-up records are passed on so the same code handles them. */
  onRecord?: (record: RequestRecord) => void;
}

/** Every this many GET answers carries a header name not sent before (see {@link answerer}). */
const NEW_HEADER_EVERY = 64;

/**
 * A loopback server's handler: GETs get a short body, other requests the answer
 * of the kind of step they are (its entry's `warmUp.answer`). GETs carry the headers most
 * servers send, and now and then a name not sent before: the client's code
 * for a header name it has not met then runs after the JIT has started
 * watching it. Met first in the run (nginx's `server` after Node's own
 * headers), it threw away the optimised response parser at the start
 * (`--trace-deopt`).
 */
function answerer(kinds: readonly StepKindEntry[]): (req: IncomingMessage, res: ServerResponse) => void {
  let answered = 0;
  return (req, res) => {
    if (req.method === 'GET') {
      answered++;
      res.setHeader('server', 'warm-up');
      res.setHeader('content-type', 'text/plain');
      if (answered % NEW_HEADER_EVERY === 0) res.setHeader(`x-warm-${answered}`, '1');
      res.end('ok');
      return;
    }
    answerRequest(kinds, req, res);
  };
}

/** A request of a kind of step (e.g. chat: streamed or JSON, as the body asked); 404 when no kind answers it. */
function answerRequest(kinds: readonly StepKindEntry[], req: IncomingMessage, res: ServerResponse): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => {
    body += chunk;
  });
  req.on('end', () => {
    for (const kind of kinds) {
      const reply = kind.warmUp?.answer(req.method ?? 'GET', req.url ?? '/', body);
      if (reply === undefined) continue;
      res.writeHead(reply.status ?? 200, { 'content-type': reply.contentType }).end(reply.body);
      return;
    }
    res.writeHead(404).end();
  });
}

/** A kind of warm-up request: a step kind's variant, e.g. `http`, `chat` or `chat-json` (its entry's `warmUp.variant`). */
export type Kind = string;

/** Connections an open model's worker opens ahead: a fast target needs few, a slow one opens more as it goes. */
const OPEN_WARM_CONNECTIONS = 64;
/** Connections a closed model's worker opens ahead, at most (its VUs need one each from the start). */
const MAX_CLOSED_WARM_CONNECTIONS = 1024;

/**
 * How many connections a worker opens before the clock starts. A closed
 * model's VUs all send their first request at once, each on a connection of
 * its own: opened at the start, their set-up was measured as the target's
 * first-second latency (250 streams: the first request left 29-42 ms after the
 * start with 64 opened ahead, 18-20 ms with all of them). An open model opens
 * a few; the arrival rate, not the plan's VU cap, decides how many it uses.
 */
export function warmConnections(plan: ExecutionPlan, workers: number): number {
  if (plan.offered?.unit === 'iterations_per_s') {
    return Math.min(OPEN_WARM_CONNECTIONS, Math.ceil(plan.maxConcurrency / workers));
  }
  // A ramp starts with the VUs of its first second; the rest open as they join.
  const atStart = plan.offered?.series[0]?.value ?? plan.maxConcurrency;
  return Math.min(MAX_CLOSED_WARM_CONNECTIONS, Math.ceil(atStart / workers));
}

/** Warm-up requests per worker, at most (~1 s on a busy core). */
const MAX_WARM_UP_REQUESTS = 3000;
/** Warm-up requests per worker, at least: the request path compiled once, however light the load. */
const MIN_WARM_UP_REQUESTS = 100;
/**
 * How many requests a worker warms up with: about a second of its share of the peak load for a
 * heavy share, less for a light one (10 VUs: 125 requests, not 500), at most 3,000.
 */
export function warmUpRequests(plan: ExecutionPlan, workers: number): number {
  const share = peakShare(plan, workers);
  const sized = share >= HEAVY_SHARE_PER_S ? share : (share * share) / HEAVY_SHARE_PER_S;
  return Math.ceil(Math.min(MAX_WARM_UP_REQUESTS, Math.max(MIN_WARM_UP_REQUESTS, sized)));
}

/** A warm-up variant and the kind of step that sends it. */
interface Variant {
  label: Kind;
  entry: StepKindEntry;
}

/** The kinds of request a test sends (without a test: plain HTTP and streamed chat), by their entries' warm-up. */
function kindsOf(test: Test | undefined): Map<Kind, StepKindEntry> {
  const kinds = new Map<Kind, StepKindEntry>();
  const add = (entry: StepKindEntry | undefined, body: unknown) => {
    if (entry?.warmUp !== undefined) kinds.set(entry.warmUp.variant(body), entry);
  };
  const http = stepKind('http');
  const chat = stepKind('chat');
  // A TypeScript flow may send anything; these are what flows mostly send.
  const flowKinds = () => {
    add(http, {});
    add(chat, { stream: true });
  };
  if (test === undefined) {
    flowKinds();
    return kinds;
  }
  for (const scenario of test.scenarios) {
    if ('flow' in scenario && scenario.flow !== undefined) flowKinds();
    // A session's turns are chat steps.
    if ('session' in scenario && scenario.session !== undefined) {
      add(chat, { stream: scenario.session.chat.stream !== false });
    }
    for (const step of ('steps' in scenario ? scenario.steps : undefined) ?? []) {
      const entry = stepKindOf(step);
      add(entry, entry === undefined ? undefined : (step as Record<string, unknown>)[entry.name]);
    }
  }
  return kinds;
}

function warmScenario({ label, entry }: Variant): Record<string, unknown> {
  return { name: label, steps: [{ [entry.name]: (entry.warmUp as StepWarmUp<unknown>).body(label) }] };
}

/** What a warm-up sent, by outcome; `close()` ends it (call it once the run is over). */
export interface WarmUp {
  sent: number;
  /** Requests that ended ok (counted when the warm-up has its own record sink): the normal path was exercised. */
  ok: number | undefined;
  kinds: Kind[];
  /** Closes the loopback server, its connections and the warm-up's own dispatcher. */
  close(): Promise<void>;
}

/** Arrivals per second a worker's loopback server answers with room to spare (it shares the thread). */
const MAX_WARM_UP_RATE = 4000;
/** An open model's warm-up round sends its requests within about this long (ms), at the load's rate or faster. */
const WARM_UP_SPAN_MS = 100;

/** The warm-up's load: the run's kind of model (arrivals or VUs), sized to send `requests` in `maxMs`. */
function warmLoad(plan: ExecutionPlan | undefined, workers: number, requests: number, maxMs: number) {
  if (plan?.offered?.unit === 'iterations_per_s') {
    const peak = plan.offered.series.reduce((m, p) => Math.max(m, p.value), 0) / workers;
    // Faster than the loopback server answers, arrivals are dropped and fewer requests are warmed;
    // a light load's warm-up goes faster than the load (its few requests within WARM_UP_SPAN_MS).
    const rate = Math.max(1, Math.min(Math.max(peak, (requests * 1000) / WARM_UP_SPAN_MS), MAX_WARM_UP_RATE));
    return {
      executor: 'constant-arrival-rate',
      rate,
      max_vus: Math.max(1, Math.min(256, Math.ceil(plan.maxConcurrency / workers))),
      duration: `${Math.min(maxMs, Math.ceil((requests / rate) * 1000))}ms`,
      graceful_stop: '200ms',
    };
  }
  const vus = Math.max(1, Math.min(64, Math.ceil((plan?.maxConcurrency ?? 32) / workers)));
  return {
    executor: 'constant-vus',
    vus,
    duration: `${maxMs}ms`,
    iterations: requests,
    graceful_stop: '200ms',
  };
}

/**
 * Runs the worker's own engine (drive, the run's kind of load model, the
 * workload and protocol code, `dispatcher` and `onRecord` when given) against
 * a loopback server. Passing the run's dispatcher and record sink matters:
 * code the JIT optimised for other objects is thrown away when the first real
 * requests arrive, and the first second of a fast open model was measured
 * running half-interpreted.
 */
export async function warmUp(options: WarmUpOptions = {}): Promise<WarmUp> {
  const requests = options.requests ?? 3000;
  const maxMs = options.maxMs ?? 1500;
  const variants: Variant[] = [...kindsOf(options.test)].map(([label, entry]) => ({ label, entry }));
  const kinds = variants.map((v) => v.label);
  // Kinds without a warm-up of their own (a plugin's may have none) are not warmed.
  if (requests <= 0 || variants.length === 0) return { sent: 0, ok: 0, kinds, close: async () => undefined };
  const server = createServer({ keepAliveTimeout: 0 }, answerer([...new Set(variants.map((v) => v.entry))]));
  const { url } = await listen(server, 0, '127.0.0.1');
  const own = options.dispatcher === undefined ? new HttpClient() : undefined;
  const dispatcher = options.dispatcher ?? (own as HttpClient);
  const testWith = (requestsLeft: number, ms: number) =>
    parseTest(
      {
        target: url,
        scenarios: variants.map(warmScenario),
        load: warmLoad(options.plan, options.workers ?? 1, Math.max(1, requestsLeft), ms),
      },
      'warm-up',
    );
  const workload = new Workload(testWith(requests, maxMs), url);
  // The run's own sink as it is: a sink wrapped here would be another call target for the same code.
  let ok = 0;
  const onRecord =
    options.onRecord ??
    ((record: RequestRecord) => {
      if (record.outcome === 'ok') ok++;
    });
  const close = async (): Promise<void> => {
    await workload.close();
    await own?.destroy().catch(() => undefined);
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  let sent = 0;
  // Two rounds: the second meets new instances of everything a run creates (signals, closures,
  // contexts) as the real run will, so code re-optimised then fits the run's objects too.
  for (const share of [0.5, 1]) {
    const inFlight = new InFlight();
    // The signals and options as the worker gives the run its own: objects of another shape
    // would send the first real requests through deoptimised code.
    const stop = new AbortController();
    const cancelNow = new AbortController();
    setMaxListeners(0, stop.signal, cancelNow.signal);
    const bound = setTimeout(() => stop.abort('warm-up time bound'), maxMs / 2);
    try {
      const test = testWith(Math.round(requests * share) - sent, maxMs / 2);
      await drive({
        test,
        executor: executorFor(test.load),
        workload,
        dispatcher,
        clock: options.clock ?? createClock(),
        segment: { index: 0, count: 1 },
        claimIteration: localCounter(),
        stop: stop.signal,
        cancelNow: cancelNow.signal,
        onRecord,
        onDropped: () => undefined,
        onStage: () => undefined,
        inFlight,
        onVuActive: () => undefined,
      });
    } catch (err) {
      await close();
      throw err;
    } finally {
      clearTimeout(bound);
      sent += inFlight.started;
    }
  }
  // The loopback server and its connections stay open until the run is over: tearing them down
  // runs socket-closing paths whose new object shapes throw away code optimised for open ones.
  return { sent, ok: options.onRecord === undefined ? ok : undefined, kinds, close };
}
