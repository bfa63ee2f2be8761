/**
 * @module protocols/redirects
 * Where a redirect leads: the next request's URL, method, body and headers by
 * the rules browsers, fetch and undici follow (RFC 9110 §15.4). 307 and 308
 * keep the method and body; 303 turns anything but HEAD into a body-less GET;
 * 301 and 302 turn a POST into a GET. A request to another origin loses its
 * credentials (`Authorization`, `Cookie`, `Proxy-Authorization`) and `Host`.
 * Why here and not in a transport: both clients (ours and undici) share it.
 */
import { redactMessage } from './errors.js';
import type { HttpMethod } from './http1/index.js';

/** k6's default: redirects followed before a response counts as `http_3xx`. */
export const DEFAULT_MAX_REDIRECTS = 10;

/** A request to send: where, how, with what. */
export interface RedirectRequest {
  origin: string;
  /** Path and query. */
  path: string;
  method: HttpMethod;
  headers?: Record<string, string> | undefined;
  body?: string | null | undefined;
}

/** The request a redirect leads to, and how a record shows its URL. */
export interface RedirectTarget extends RedirectRequest {
  /** The absolute URL without its query and fragment (they may carry secrets). */
  shown: string;
}

/** Headers that describe a request body, dropped with the body. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]);
/** Headers not sent to another origin. */
const ORIGIN_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization', 'host']);

/** A URL as records and messages show it: origin and path, no query, no credentials. */
export function shownUrl(url: URL): string {
  return url.origin + url.pathname;
}

/**
 * The request a redirect response leads to, or why it cannot be followed (a
 * message for the record). `location` is the response's `Location` header.
 */
export function redirectTarget(
  from: RedirectRequest,
  status: number,
  location: string | string[] | undefined,
): RedirectTarget | string {
  const value = Array.isArray(location) ? location[0] : location;
  if (value === undefined || value === '')
    return `HTTP ${status} without a Location header: nothing to follow`;
  let url: URL;
  try {
    url = new URL(value, from.origin + from.path);
  } catch {
    const shown = redactMessage(value.replace(/[?#].*/, '').slice(0, 80));
    return `HTTP ${status} with an invalid Location header: ${JSON.stringify(shown)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `HTTP ${status} to a ${url.protocol} URL, which is not followed`;
  }
  const method = from.method;
  const dropBody =
    (status === 303 && method !== 'GET' && method !== 'HEAD') ||
    ((status === 301 || status === 302) && method === 'POST');
  const crossOrigin = url.origin !== from.origin;
  let headers = from.headers;
  if (headers !== undefined && (dropBody || crossOrigin)) {
    const kept: Record<string, string> = {};
    for (const name in headers) {
      const lower = name.toLowerCase();
      if (dropBody && BODY_HEADERS.has(lower)) continue;
      if (crossOrigin && ORIGIN_HEADERS.has(lower)) continue;
      kept[name] = headers[name] as string;
    }
    headers = kept;
  }
  return {
    origin: url.origin,
    path: url.pathname + url.search,
    method: dropBody ? 'GET' : method,
    headers,
    body: dropBody ? undefined : from.body,
    shown: shownUrl(url),
  };
}
