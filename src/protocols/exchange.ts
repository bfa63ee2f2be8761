/**
 * @module protocols/exchange
 * One HTTP request/response through a transport's dispatch API (ours in
 * protocols/http1, or undici's), timed at the points DESIGN.md §2 defines:
 * `sent` when the request is written to its open connection (our client
 * writes the requests of one event-loop turn together, after it), first byte when
 * the response head arrives, end at the last body byte. The code waiting on
 * an ended exchange runs within a per-turn budget (protocols/completion-turns).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Clock } from './clock.js';
import { handOver } from './completion-turns.js';
import { ClientAbort, classifyTransportError, type Failure } from './errors.js';
import type { HttpMethod, HttpTransport, RequestController, RequestHandler } from './http1/index.js';

/** Receives the response as it arrives; returns a failure to end the exchange early. */
export interface ResponseSink {
  onStart(status: number, headers: IncomingHttpHeaders, at: number): void;
  /** Returns a failure (malformed stream, oversized body) to stop reading at once. */
  onData(chunk: Buffer, at: number): Failure | undefined;
  /** Called at the end of the body; may turn a complete transfer into a failure (bad JSON, cut stream). */
  onEnd(at: number): Failure | undefined;
}

/** What happened on the wire. Times are on the run clock. */
export interface ExchangeResult {
  sentAt: number;
  firstByteAt?: number;
  endAt: number;
  status?: number;
  failure?: Failure;
  /** Why the request was sent again on a new connection (the server closed a reused one under it). */
  retriedBecause?: string;
}

export interface ExchangeRequest {
  origin: string;
  path: string;
  method: HttpMethod;
  headers: Record<string, string>;
  body?: string | undefined;
  timeoutMs: number;
  /** Aborted by the engine to cancel (graceful-stop timeout, SIGINT). */
  signal?: AbortSignal | undefined;
  /** A user who gives up: the client aborts the connection this long after `sent` (outcome `cancelled`). */
  cancelAfterMs?: number | undefined;
}

/** Ends a response the sink rejected; its failure is already recorded. */
class SinkFailure extends Error {}

/**
 * The requests in flight under one abort signal, as an intrusive list: one
 * `abort` listener per signal cancels them all. An `abort` listener per
 * request on a shared AbortSignal cost a third of the request rate and left
 * garbage that survived into the old generation (44k vs 31k req/s in a plain
 * loop on one core); hashing each request into a Set cost a fifth.
 */
/** A request in a signal's in-flight list: its neighbours, and how to cancel it. */
interface Listed {
  prev: Listed | undefined;
  next: Listed | undefined;
  cancel(): void;
}

class InFlightList {
  head: Listed | undefined;
  /** The signal's state, read here instead of on the signal (see {@link isAborted}). */
  aborted: boolean;

  constructor(signal: AbortSignal) {
    this.aborted = signal.aborted;
    signal.addEventListener(
      'abort',
      () => {
        this.aborted = true;
        this.cancelAll();
      },
      { once: true },
    );
  }

  add(h: Listed): void {
    h.next = this.head;
    if (this.head !== undefined) this.head.prev = h;
    this.head = h;
  }

  remove(h: Listed): void {
    if (h.prev !== undefined) h.prev.next = h.next;
    else if (this.head === h) this.head = h.next;
    else return;
    if (h.next !== undefined) h.next.prev = h.prev;
    h.prev = undefined;
    h.next = undefined;
  }

  private cancelAll(): void {
    for (let h = this.head; h !== undefined; h = this.head) {
      this.remove(h);
      h.cancel();
    }
  }
}

const lists = new WeakMap<AbortSignal, InFlightList>();
/** The last signal looked up: a run has one, and a WeakMap lookup per request showed in profiles. */
let lastSignal: AbortSignal | undefined;
let lastList: InFlightList | undefined;

function listOf(signal: AbortSignal): InFlightList {
  if (signal === lastSignal && lastList !== undefined) return lastList;
  let list = lists.get(signal);
  if (list === undefined) {
    list = new InFlightList(signal);
    lists.set(signal, list);
  }
  lastSignal = signal;
  lastList = list;
  return list;
}

/**
 * Whether the run's signal has aborted, for the per-request path. Node builds
 * each AbortSignal with a prototype swap whose map V8 may not reuse, so the
 * run's signal can have another map than the warm-up's: code optimised by the
 * warm-up that reads `signal.aborted` was thrown away on the first real
 * request (`--trace-deopt`: "wrong map" in exchange and runSteps, and with
 * them everything inlined into sendStep). The signal's list keeps the flag.
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal !== undefined && listOf(signal).aborted;
}

/** Turns an ended exchange into the value its promise resolves with (see {@link exchangeThen}). */
export type Finish<S extends ResponseSink, C, T> = (result: ExchangeResult, sink: S, context: C) => T;

/** A dispatch handler that records timings; one per request, no closures on the data path. */
class TimedHandler<S extends ResponseSink, C, T> implements RequestHandler, Listed {
  /** Neighbours in the signal's in-flight list. */
  prev: Listed | undefined = undefined;
  next: Listed | undefined = undefined;
  private controller: RequestController | undefined;
  private readonly result: ExchangeResult;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private cancelTimer: NodeJS.Timeout | undefined;
  private pendingAbort: ClientAbort | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: S,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: unknown) => void,
    private readonly finishWith: Finish<S, C, T>,
    private readonly context: C,
    private readonly signal: AbortSignal | undefined,
    timeoutMs: number,
    private readonly cancelAfterMs: number | undefined = undefined,
  ) {
    const now = clock();
    this.result = { sentAt: now, endAt: now };
    this.timer = setTimeout(
      () => this.abort(new ClientAbort('timeout', `no complete response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (signal !== undefined) {
      const list = listOf(signal);
      if (list.aborted) this.pendingAbort = new ClientAbort('cancelled', 'cancelled before it was sent');
      else list.add(this);
    }
  }

  /** The signal aborted: the test cancels this request. */
  cancel(): void {
    this.abort(new ClientAbort('cancelled', 'cancelled by the test (graceful stop elapsed or interrupted)'));
  }

  private abort(reason: ClientAbort): void {
    if (this.done) return;
    if (this.controller === undefined) {
      this.pendingAbort = reason;
      return;
    }
    this.controller.abort(reason);
  }

  /** Waiting for a connection: a timeout or cancellation now ends it there (no connection may ever open). */
  onRequestQueued(controller: RequestController): void {
    this.controller = controller;
    if (this.pendingAbort !== undefined) controller.abort(this.pendingAbort);
  }

  /** Sent again: the record shows the retry's outcome, and this says why there was one. */
  onRequestRetry(_controller: RequestController, reason: Error): void {
    this.result.retriedBecause = reason.message;
  }

  onRequestStart(controller: RequestController): void {
    this.controller = controller;
    this.result.sentAt = this.clock();
    if (this.pendingAbort !== undefined) controller.abort(this.pendingAbort);
    else if (this.cancelAfterMs !== undefined) {
      const ms = this.cancelAfterMs;
      this.cancelTimer = setTimeout(
        () => this.abort(new ClientAbort('cancelled', `cancelled by the user after ${Math.round(ms)} ms`)),
        ms,
      );
    }
  }

  onResponseStart(_controller: RequestController, statusCode: number, headers: IncomingHttpHeaders): void {
    const at = this.clock();
    this.result.firstByteAt = at;
    this.result.status = statusCode;
    this.sink.onStart(statusCode, headers, at);
  }

  onResponseData(controller: RequestController, chunk: Buffer): void {
    const failure = this.sink.onData(chunk, this.clock());
    if (failure !== undefined && this.result.failure === undefined) {
      this.result.failure = failure;
      controller.abort(new SinkFailure(failure.message));
    }
  }

  onResponseEnd(): void {
    const at = this.clock();
    const failure = this.sink.onEnd(at);
    if (failure !== undefined) this.result.failure = failure;
    this.finish(at);
  }

  onResponseError(_controller: RequestController, error: Error): void {
    const at = this.clock();
    if (this.result.failure !== undefined) {
      this.finish(at);
      return;
    }
    const cause = error instanceof ClientAbort ? error : ((error as { cause?: unknown }).cause ?? error);
    this.result.failure = classifyTransportError(
      cause instanceof ClientAbort ? cause : error,
      this.result.firstByteAt !== undefined,
    );
    this.finish(at);
  }

  private finish(at: number): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    clearTimeout(this.cancelTimer);
    if (this.signal !== undefined) listOf(this.signal).remove(this);
    this.result.endAt = at;
    handOver(settle, this);
  }

  /** Resolves the exchange's promise with what `finishWith` makes of the result (in the turn handOver picks). */
  settle(): void {
    let value: T;
    try {
      value = this.finishWith(this.result, this.sink, this.context);
    } catch (err) {
      this.reject(err);
      return;
    }
    this.resolve(value);
  }
}

/** One function for every handler, so a handed-over exchange costs no closure. */
function settle(handler: { settle(): void }): void {
  handler.settle();
}

function asResult(result: ExchangeResult): ExchangeResult {
  return result;
}

/** Sends one request and resolves when it ended, however it ended; never rejects. */
export function exchange(
  dispatcher: HttpTransport,
  clock: Clock,
  request: ExchangeRequest,
  sink: ResponseSink,
): Promise<ExchangeResult> {
  return exchangeThen(dispatcher, clock, request, sink, asResult, undefined);
}

/**
 * Sends one request and resolves, when it ended, with `finish(result, sink, context)`; rejects
 * only if `finish` throws. For a caller that turns the result into its own value: doing it here
 * spares it an async function or a `then` of its own per request. Every request in flight keeps
 * its awaiting frames alive, and each young-generation GC copies them: an async frame waiting on a
 * request cost ~0.5 KB a stream (heap snapshots at 250 and 50 streams, 6 generators, 22 closures
 * and 8 promises a stream), and at 250 streams one scavenge every ~0.5 s copies all of it.
 */
export function exchangeThen<S extends ResponseSink, C, T>(
  dispatcher: HttpTransport,
  clock: Clock,
  request: ExchangeRequest,
  sink: S,
  finish: Finish<S, C, T>,
  context: C,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const handler = new TimedHandler<S, C, T>(
      clock,
      sink,
      resolve,
      reject,
      finish,
      context,
      request.signal,
      request.timeoutMs,
      request.cancelAfterMs,
    );
    try {
      dispatcher.dispatch(
        {
          origin: request.origin,
          path: request.path,
          method: request.method,
          headers: request.headers,
          body: request.body ?? null,
        },
        handler,
      );
    } catch (err) {
      handler.onResponseError(undefined as unknown as RequestController, err as Error);
    }
  });
}
