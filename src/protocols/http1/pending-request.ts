/**
 * @module protocols/http1/pending-request
 * One request from dispatch to its end: the controller its handler gets.
 */
import type { RequestController, RequestHandler, RequestOptions } from './types.js';

/** The connection a request is on, as the request sees it (connection.ts; an interface, so the two files do not import each other). */
export interface RequestConnection {
  /** The request was aborted while on this connection: the connection cannot be reused. */
  dropRequest(): void;
}

/** One request: its options and written head, its handler, and the controller the handler is given. */
export class PendingRequest implements RequestController {
  /** Set once the handler heard the end or an error: nothing more reaches it. */
  done = false;
  connection: RequestConnection | undefined = undefined;
  /** Sent again already, after the server closed the reused connection it first went on. */
  retried = false;

  constructor(
    readonly options: RequestOptions,
    /** The request line and headers, checked and serialised at dispatch. */
    readonly head: string,
    readonly handler: RequestHandler,
  ) {}

  abort(reason: Error): void {
    if (this.done) return;
    this.done = true;
    const connection = this.connection;
    if (connection !== undefined) {
      this.connection = undefined;
      connection.dropRequest();
    }
    // A queued request is skipped when its turn comes (it is `done`).
    this.handler.onResponseError?.(this, reason);
  }
}

/** Tells a request's handler it failed, once. */
export function finish(request: PendingRequest, error: Error): void {
  if (request.done) return;
  request.done = true;
  request.handler.onResponseError?.(request, error);
}
