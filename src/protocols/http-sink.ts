/**
 * @module protocols/http-sink
 * Reads the response of a plain HTTP step: status check and byte count.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Failure } from './errors.js';
import { isRedirect, kindOfStatus } from './errors.js';
import type { ResponseSink } from './exchange.js';
import { responseLimits } from './limits.js';

const MAX_ERROR_BODY_CHARS = 300;
/** Most of a body kept for captures; a capture needs a login answer, not a download. */
export const MAX_KEPT_BODY_BYTES = 1024 * 1024;

/**
 * Accepts any 2xx status and a 3xx that is not a redirect (304, 300), or exactly the
 * expected ones when given. A redirect reaching the sink was not followed (`max_redirects`).
 */
export class HttpSink implements ResponseSink {
  status = 0;
  bytes = 0;
  headers: IncomingHttpHeaders = {};
  private errorBody = '';
  private readonly kept: Buffer[] = [];
  private keptBytes = 0;

  /** `keepBody`: keep up to `MAX_KEPT_BODY_BYTES` of the body for `body()` (captures). */
  constructor(
    private readonly expectStatus: readonly number[] | undefined,
    private readonly keepBody = false,
  ) {}

  /** The kept body as text (empty unless `keepBody`). */
  body(): string {
    return Buffer.concat(this.kept, this.keptBytes).toString('utf8');
  }

  onStart(status: number, headers: IncomingHttpHeaders, _at: number): void {
    this.status = status;
    this.headers = headers;
  }

  onData(chunk: Buffer, _at: number): Failure | undefined {
    this.bytes += chunk.length;
    if (this.bytes > responseLimits.maxBodyBytes) return this.overLimit();
    if (this.keepBody && this.keptBytes < MAX_KEPT_BODY_BYTES) {
      // A copy: the transport may reuse its buffer after this call.
      const part = Buffer.from(chunk.subarray(0, MAX_KEPT_BODY_BYTES - this.keptBytes));
      this.kept.push(part);
      this.keptBytes += part.length;
    }
    if (this.status >= 300 && this.errorBody.length < MAX_ERROR_BODY_CHARS) {
      this.errorBody += chunk.toString('utf8', 0, Math.min(chunk.length, MAX_ERROR_BODY_CHARS));
    }
    return undefined;
  }

  /** The body passed the limit: reading stops (an error answer keeps its status kind). */
  private overLimit(): Failure {
    const note = `body exceeds ${responseLimits.maxBodyBytes} bytes; reading stopped`;
    const failure = this.onEnd(0);
    if (failure === undefined) return { kind: 'truncated', message: `response ${note}` };
    return { kind: failure.kind, message: `${failure.message}; ${note}` };
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
    if (kind === undefined || (kind === 'http_3xx' && !isRedirect(this.status))) return undefined;
    return { kind, message };
  }
}
