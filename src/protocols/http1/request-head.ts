/**
 * @module protocols/http1/request-head
 * Writes a request's head (request line and headers), refusing anything that
 * could inject a line, and reuses it for a frozen header object sent again.
 */
import { HttpClientError, type RequestOptions } from './types.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters a header value may not hold (a CR or LF would let a value start a new header). */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const BAD_PATH = /[^\u0021-\u00ff]/;

/**
 * A request head up to its length, by header object. Only frozen objects are
 * cached: one that can change could not be known by its identity, and a
 * templated step builds a new object per request, so caching those would
 * only add a WeakMap entry per request (an ephemeron the young-generation GC
 * traces while the request lives). A step not templated sends the same
 * object every time and freezes it (workload/prepared-step.ts).
 */
interface CachedHead {
  method: string;
  path: string;
  host: string;
  text: string;
}
const heads = new WeakMap<object, CachedHead>();

/**
 * The request line and headers, ending in the blank line; throws for a
 * header that could inject others. A frozen header object is read the first
 * time it is sent with a method, path and host, and its text reused after.
 */
export function requestHead(options: RequestOptions, host: string, bodyLength: number): string {
  const { method, path, headers } = options;
  let text: string;
  const reusable = headers !== undefined && Object.isFrozen(headers) ? headers : undefined;
  const cached = reusable === undefined ? undefined : heads.get(reusable);
  if (cached !== undefined && cached.method === method && cached.path === path && cached.host === host) {
    text = cached.text;
  } else {
    text = headText(method, path, headers, host);
    if (reusable !== undefined) heads.set(reusable, { method, path, host, text });
  }
  return bodyLength >= 0 ? `${text}content-length: ${bodyLength}\r\n\r\n` : `${text}\r\n`;
}

function headText(
  method: string,
  path: string,
  headers: Record<string, string> | undefined,
  host: string,
): string {
  if (!TOKEN.test(method))
    throw new HttpClientError('INVALID_REQUEST', `invalid method: ${JSON.stringify(method)}`);
  if (BAD_PATH.test(path) || path.length === 0) {
    throw new HttpClientError('INVALID_REQUEST', `invalid request path: ${JSON.stringify(path)}`);
  }
  let text = '';
  let hasHost = false;
  if (headers !== undefined) {
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (!TOKEN.test(name))
        throw new HttpClientError('INVALID_REQUEST', `invalid header name: ${JSON.stringify(name)}`);
      const v = String(value);
      if (BAD_VALUE.test(v)) throw new HttpClientError('INVALID_REQUEST', `invalid value for header ${name}`);
      const lower = name.length === 4 || name.length === 14 || name.length === 17 ? name.toLowerCase() : '';
      // We frame the body ourselves.
      if (lower === 'content-length') continue;
      if (lower === 'transfer-encoding') {
        throw new HttpClientError(
          'INVALID_REQUEST',
          'a request body is sent with a content-length; transfer-encoding is not supported',
        );
      }
      if (lower === 'host') hasHost = true;
      text += `${name}: ${v}\r\n`;
    }
  }
  return `${method} ${path} HTTP/1.1\r\n${hasHost ? '' : `host: ${host}\r\n`}${text}`;
}
