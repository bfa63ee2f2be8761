/**
 * @module protocols/exchange
 * One HTTP request/response through a transport's dispatch API (ours in
 * protocols/http1, or undici's), timed at the points DESIGN.md §2 defines:
 * `sent` when the request is written to its open connection (our client
 * writes the requests of one event-loop turn together, after it), first byte when
 * the response head arrives, end at the last body byte. The code waiting on
 * an ended exchange runs within a per-turn budget (protocols/completion-turns).
 * Redirects are followed here, for both transports, up to `maxRedirects`
 * (protocols/redirects), each hop timed; `sent`, first byte and end stay
 * those the user sees: from the first request's send to the final response.
 * A compressed body reaches the sink decoded (protocols/content-decoding).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { type Clock, type RedirectHop, roundMs } from '../core/index.js';
import { handOver } from './completion-turns.js';
import { BodyDecoder, codingOf, type DecodedReader, encodingOf } from './content-decoding.js';
import { ClientAbort, classifyTransportError, type Failure, isRedirect } from './errors.js';
import type {
  HttpMethod,
  HttpTransport,
  RequestController,
  RequestHandler,
  RequestOptions,
} from './http1/index.js';
import {
  DEFAULT_MAX_REDIRECTS,
  type RedirectRequest,
  type RedirectTarget,
  redirectTarget,
} from './redirects.js';

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
  /** Redirects followed before the final response (absent when none). */
  redirects?: RedirectHop[];
  /** The final response's `Content-Encoding` (absent when none or `identity`). */
  encoding?: string;
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
  /** Redirects followed at most (default {@link DEFAULT_MAX_REDIRECTS}); 0 leaves a redirect as the response. */
  maxRedirects?: number | undefined;
}

/** The redirects of one exchange: the hops so far and the request now on its way. */
interface Following {
  hops: RedirectHop[];
  /** Where the current request went. */
  current: RedirectRequest;
  /** Where the redirect being read leads, and its status. */
  next: RedirectTarget | undefined;
  status: number;
  /** When the current hop's request was sent. */
  sentAt: number;
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
class TimedHandler<S extends ResponseSink, C, T> implements RequestHandler, Listed, DecodedReader {
  /** Neighbours in the signal's in-flight list. */
  prev: Listed | undefined = undefined;
  next: Listed | undefined = undefined;
  private controller: RequestController | undefined;
  private readonly result: ExchangeResult;
  private done = false;
  private timer: NodeJS.Timeout | undefined;
  private cancelTimer: NodeJS.Timeout | undefined;
  private pendingAbort: ClientAbort | undefined;
  /** Set at the first redirect followed. */
  private following: Following | undefined = undefined;
  /** The response read is a redirect being followed: its body is skipped. */
  private skipping = false;
  /** Decodes the final response's body when it came compressed. */
  private decoder: BodyDecoder | undefined = undefined;
  /** Why a redirect was left as the response (`http_3xx`); `forced` when it fails even a status the sink accepts. */
  private redirectNote: Failure | undefined = undefined;
  private forcedNote = false;

  constructor(
    private readonly clock: Clock,
    private readonly sink: S,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: unknown) => void,
    private readonly finishWith: Finish<S, C, T>,
    private readonly context: C,
    private readonly signal: AbortSignal | undefined,
    timeoutMs: number,
    private readonly cancelAfterMs: number | undefined,
    private readonly dispatcher: HttpTransport,
    /** What was dispatched (the transport keeps it too): where a redirect is resolved from. */
    private readonly sent: RequestOptions,
    private readonly maxRedirects: number,
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
    if (this.decoder?.draining === true) {
      // The transport has ended; only the decoder is still at work.
      this.result.failure = classifyTransportError(reason, true);
      this.finish(this.clock());
      return;
    }
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
    const following = this.following;
    if (following === undefined) this.result.sentAt = this.clock();
    else following.sentAt = this.clock();
    if (this.pendingAbort !== undefined) controller.abort(this.pendingAbort);
    else if (this.cancelAfterMs !== undefined && following === undefined) {
      const ms = this.cancelAfterMs;
      this.cancelTimer = setTimeout(
        () => this.abort(new ClientAbort('cancelled', `cancelled by the user after ${Math.round(ms)} ms`)),
        ms,
      );
    }
  }

  onResponseStart(_controller: RequestController, statusCode: number, headers: IncomingHttpHeaders): void {
    const at = this.clock();
    if (
      statusCode >= 300 &&
      statusCode < 400 &&
      isRedirect(statusCode) &&
      this.follows(statusCode, headers)
    ) {
      return;
    }
    this.result.firstByteAt = at;
    this.result.status = statusCode;
    const encoding = headers['content-encoding'];
    if (encoding !== undefined) this.startDecoding(encoding);
    this.sink.onStart(statusCode, headers, at);
  }

  onResponseData(controller: RequestController, chunk: Buffer): void {
    if (this.skipping) return;
    if (this.decoder !== undefined) {
      this.decoder.write(chunk);
      return;
    }
    const failure = this.sink.onData(chunk, this.clock());
    if (failure !== undefined && this.result.failure === undefined) {
      this.result.failure = failure;
      controller.abort(new SinkFailure(failure.message));
    }
  }

  onResponseEnd(): void {
    const at = this.clock();
    if (this.skipping) this.nextHop(at);
    else if (this.decoder !== undefined) this.decoder.end();
    else this.endBody(at);
  }

  /** The final response's body has ended (decoded, when it came compressed). */
  private endBody(at: number): void {
    const failure = this.sink.onEnd(at);
    if (failure !== undefined) this.result.failure = failure;
    const note = this.redirectNote;
    if (note !== undefined) {
      const now = this.result.failure;
      if (now === undefined ? this.forcedNote : now.kind === 'http_3xx') this.result.failure = note;
    }
    this.finish(at);
  }

  /**
   * A redirect arrived: true when it is followed (its body is skipped, the next request
   * sent at its end); false when it is the response, with a note saying why.
   */
  private follows(status: number, headers: IncomingHttpHeaders): boolean {
    const max = this.maxRedirects;
    let following = this.following;
    const next = redirectTarget(following?.current ?? this.sent, status, headers.location);
    if (typeof next === 'string') {
      this.redirectNote = { kind: 'http_3xx', message: next };
      return false;
    }
    if (max <= 0) {
      this.redirectNote = {
        kind: 'http_3xx',
        message: `HTTP ${status} to ${next.shown}, not followed (max_redirects: 0)`,
      };
      return false;
    }
    if (following !== undefined && following.hops.length >= max) {
      this.redirectNote = {
        kind: 'http_3xx',
        message: `more than ${max} redirects (max_redirects: ${max}); the last, HTTP ${status}, to ${next.shown}`,
      };
      this.forcedNote = true;
      return false;
    }
    if (following === undefined) {
      following = { hops: [], current: this.sent, next, status, sentAt: this.result.sentAt };
      this.following = following;
      this.result.redirects = following.hops;
    }
    following.next = next;
    following.status = status;
    this.skipping = true;
    return true;
  }

  /** The redirect being followed has ended: the next request goes out (after this turn's bookkeeping). */
  private nextHop(at: number): void {
    const following = this.following as Following;
    const next = following.next as RedirectTarget;
    following.hops.push({
      status: following.status,
      location: next.shown,
      ms: roundMs(at - following.sentAt),
    });
    following.current = next;
    following.next = undefined;
    this.skipping = false;
    // Aborts until the next request is under way wait for it (see onRequestQueued).
    this.controller = undefined;
    // After the transport has released the connection the redirect came on, so the next may take it.
    queueMicrotask(() => this.sendHop(next));
  }

  private sendHop(next: RedirectTarget): void {
    if (this.done) return;
    try {
      this.dispatcher.dispatch(
        {
          origin: next.origin,
          path: next.path,
          method: next.method,
          headers: next.headers,
          body: next.body ?? null,
        },
        this,
      );
    } catch (err) {
      this.onResponseError(undefined as unknown as RequestController, err as Error);
    }
  }

  /** The final response came with a `Content-Encoding`: record it, and decode the ones we know. */
  private startDecoding(header: string | string[]): void {
    const encoding = encodingOf(header);
    if (encoding === undefined) return;
    this.result.encoding = encoding;
    const coding = codingOf(encoding);
    if (coding !== undefined) this.decoder = new BodyDecoder(coding, this);
  }

  /** Decoded output, timed as it comes out of the decoder. */
  onDecoded(chunk: Buffer): void {
    if (this.done || this.result.failure !== undefined) return;
    const failure = this.sink.onData(chunk, this.clock());
    if (failure !== undefined) this.failDecoding(failure);
  }

  onDecodedEnd(): void {
    if (this.done || this.result.failure !== undefined) return;
    this.endBody(this.clock());
  }

  onDecodeError(error: Error): void {
    if (this.done || this.result.failure !== undefined) return;
    const coding = (this.decoder as BodyDecoder).coding;
    this.failDecoding({
      kind: 'stream_error',
      message: `cannot decode the ${coding} body: ${error.message}`,
    });
  }

  /** The decoded body failed (the sink's limit, bad data): stop reading, or end now if the transport has. */
  private failDecoding(failure: Failure): void {
    this.result.failure = failure;
    const decoder = this.decoder as BodyDecoder;
    decoder.destroy();
    if (decoder.draining || this.controller === undefined) this.finish(this.clock());
    else this.controller.abort(new SinkFailure(failure.message));
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
    this.decoder?.destroy();
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
    const options: RequestOptions = {
      origin: request.origin,
      path: request.path,
      method: request.method,
      headers: request.headers,
      body: request.body ?? null,
    };
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
      dispatcher,
      options,
      request.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
    );
    try {
      dispatcher.dispatch(options, handler);
    } catch (err) {
      handler.onResponseError(undefined as unknown as RequestController, err as Error);
    }
  });
}
