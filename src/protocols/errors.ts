/**
 * @module protocols/errors
 * Maps transport failures and HTTP statuses to the error kinds of docs/architecture.md#the-run-directory.
 */
import type { ErrorKind } from '../core/index.js';
import { redactText } from '../store/redact.js';

/** Why the client itself ended a request: the test cancelled it, or it ran out of time. */
export class ClientAbort extends Error {
  readonly reason: 'cancelled' | 'timeout';
  constructor(reason: 'cancelled' | 'timeout', message: string) {
    super(message);
    this.name = 'ClientAbort';
    this.reason = reason;
  }
}

/** A failure classified for the record. */
export interface Failure {
  kind: ErrorKind | 'cancelled';
  message: string;
}

/**
 * `rate_limited` for 429, `overloaded` for 529 (Anthropic's "overloaded", a
 * capacity signal to back off from, unlike a server fault), else
 * `http_3xx`/`http_4xx`/`http_5xx`; undefined for a success status.
 */
export function kindOfStatus(status: number): ErrorKind | undefined {
  if (status === 429) return 'rate_limited';
  if (status === 529) return 'overloaded';
  if (status >= 500) return 'http_5xx';
  if (status >= 400) return 'http_4xx';
  if (status >= 300) return 'http_3xx';
  return undefined;
}

/** A status that sends the client elsewhere with `Location` (301, 302, 303, 307, 308). */
export function isRedirect(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  // protocols/http1
  'CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** A failure's message without the secrets it may quote (URL credentials and keys, headers, tokens). */
export function redactMessage(message: string): string {
  return redactText(message);
}

/**
 * Classifies an error raised while a request was in flight. A connection that
 * breaks after the response started is a cut stream (`stream_error`), before it
 * a `connection` error.
 */
export function classifyTransportError(err: unknown, responseStarted: boolean): Failure {
  if (err instanceof ClientAbort) {
    return { kind: err.reason === 'cancelled' ? 'cancelled' : 'timeout', message: err.message };
  }
  const error = err as { code?: string; message?: string; name?: string };
  const message = redactMessage(`${error.code ?? error.name ?? 'Error'}: ${error.message ?? String(err)}`);
  if (error.code !== undefined && TIMEOUT_CODES.has(error.code)) return { kind: 'timeout', message };
  if (responseStarted) return { kind: 'stream_error', message };
  return { kind: 'connection', message };
}
