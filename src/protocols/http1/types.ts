/**
 * @module protocols/http1/types
 * What the engine sends requests through and the handler it gives each one:
 * the subset of undici's dispatch API both clients serve.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** Ends a request early (undici's `DispatchController` has the same method). */
export interface RequestController {
  abort(reason: Error): void;
}

/** Receives one request's progress; the subset of undici's `DispatchHandler` both clients call. */
export interface RequestHandler {
  /** The request waits for a connection (this client only): it can be aborted while it waits. */
  onRequestQueued?(controller: RequestController): void;
  /** The request is sent again on a new connection (this client only): `reason` says why the first try failed. */
  onRequestRetry?(controller: RequestController, reason: Error): void;
  /** The request is about to be written (its connection is open). */
  onRequestStart?(controller: RequestController, context: unknown): void;
  onResponseStart?(controller: RequestController, status: number, headers: IncomingHttpHeaders): void;
  /** A part of the body; this client reads into a buffer it reuses, so `chunk` is valid only during the call. */
  onResponseData?(controller: RequestController, chunk: Buffer): void;
  onResponseEnd?(controller: RequestController, trailers: IncomingHttpHeaders): void;
  onResponseError?(controller: RequestController, error: Error): void;
}

export type HttpMethod =
  | 'GET'
  | 'HEAD'
  | 'POST'
  | 'PUT'
  | 'DELETE'
  | 'CONNECT'
  | 'OPTIONS'
  | 'TRACE'
  | 'PATCH';

export interface RequestOptions {
  /** `http://host:port` or `https://host:port`. */
  origin: string;
  /** Path and query. */
  path: string;
  method: HttpMethod;
  /** Read on every send, unless frozen: a frozen object's head is written once and reused. */
  headers?: Record<string, string> | undefined;
  body?: string | null | undefined;
}

/** What the engine sends requests through: this client, or an undici dispatcher in tests. */
export interface HttpTransport {
  dispatch(options: RequestOptions, handler: RequestHandler): boolean;
  close(): Promise<void>;
  destroy(): Promise<void>;
}

/** A transport failure, with a stable `code` the error classifier and records quote. */
export class HttpClientError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'HttpClientError';
    this.code = code;
  }
}

export interface HttpClientOptions {
  /** Connections per origin at most (default unlimited: one per concurrent request, as undici's `connections: null`). */
  connections?: number | undefined;
  /** How long an idle connection is kept (ms); a server's `Keep-Alive: timeout` hint, less a second, lowers it. */
  keepAliveMs?: number | undefined;
  /** Most bytes of a response head (status line and headers), as Node's and undici's default. */
  maxHeaderBytes?: number | undefined;
  /** How long a connection may take to open (ms; undici's default, 10 s): a request waits for one that never answers no longer. */
  connectTimeoutMs?: number | undefined;
  /** Opens a TCP connection (default `net.connect`); tests give a socket that never connects. */
  connect?: ((host: string, port: number) => Socket) | undefined;
}
