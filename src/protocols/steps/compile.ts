/**
 * @module protocols/steps/compile
 * Helpers the HTTP step kinds compile with: the endpoint of a URL (cached, so a
 * templated step compiled per iteration does not parse its URL each time) and
 * header lookups.
 */
import { DEFAULT_MAX_REDIRECTS } from '../redirects.js';
import type { StepDefaults } from '../step-kind.js';

export interface Endpoint {
  origin: string;
  /** Path and query. */
  path: string;
}

/** Endpoints by base URL and path: a templated step is compiled per iteration, its URL mostly the same. */
const endpoints = new Map<string, Map<string, Endpoint>>();
const MAX_ENDPOINTS = 1024;

export function endpointOf(base: string, path: string): Endpoint {
  let byPath = endpoints.get(base);
  if (byPath === undefined) {
    if (endpoints.size >= MAX_ENDPOINTS) endpoints.clear();
    byPath = new Map();
    endpoints.set(base, byPath);
  }
  let endpoint = byPath.get(path);
  if (endpoint === undefined) {
    const url = joinUrl(base, path);
    endpoint = { origin: url.origin, path: url.pathname + url.search };
    // A URL templated per iteration would otherwise grow this without bound.
    if (byPath.size >= MAX_ENDPOINTS) byPath.clear();
    byPath.set(path, endpoint);
  }
  return endpoint;
}

function joinUrl(base: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return new URL(trimmed + (path.startsWith('/') ? path : `/${path}`));
}

export function hasHeader(headers: Record<string, string>, name: string): boolean {
  for (const key in headers) if (key.toLowerCase() === name) return true;
  return false;
}

/** Redirects a step follows: its own `max_redirects`, else the test's, else the default. */
export function maxRedirectsOf(own: number | undefined, defaults: StepDefaults): number {
  return own ?? defaults.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
}
