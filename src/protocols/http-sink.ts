/**
 * @module protocols/http-sink
 * Reads the response of a plain HTTP step: status check and byte count.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Failure } from './errors.js';
import { kindOfStatus } from './errors.js';
import type { ResponseSink } from './exchange.js';

const MAX_ERROR_BODY_CHARS = 300;

/** Accepts any 2xx/3xx status, or exactly the expected ones when given. */
export class HttpSink implements ResponseSink {
  status = 0;
  bytes = 0;
  private errorBody = '';

  constructor(private readonly expectStatus: readonly number[] | undefined) {}

  onStart(status: number, _headers: IncomingHttpHeaders, _at: number): void {
    this.status = status;
  }

  onData(chunk: Buffer, _at: number): Failure | undefined {
    this.bytes += chunk.length;
    if (this.status >= 400 && this.errorBody.length < MAX_ERROR_BODY_CHARS) {
      this.errorBody += chunk.toString('utf8', 0, Math.min(chunk.length, MAX_ERROR_BODY_CHARS));
    }
    return undefined;
  }

  onEnd(_at: number): Failure | undefined {
    const snippet = this.errorBody.slice(0, MAX_ERROR_BODY_CHARS).replace(/\s+/g, ' ');
    const message = `HTTP ${this.status}${snippet ? `: ${snippet}` : ''}`;
    if (this.expectStatus !== undefined) {
      if (this.expectStatus.includes(this.status)) return undefined;
      return {
        kind: 'check_failed',
        message: `expected status ${this.expectStatus.join(' or ')}, got ${message}`,
      };
    }
    const kind = kindOfStatus(this.status);
    return kind === undefined ? undefined : { kind, message };
  }
}
