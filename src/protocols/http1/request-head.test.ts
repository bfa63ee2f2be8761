import { describe, expect, it } from 'vitest';
import { requestHead } from './request-head.js';
import type { RequestOptions } from './types.js';

const options = (headers: Record<string, string>): RequestOptions => ({
  origin: 'http://127.0.0.1:1',
  method: 'POST',
  path: '/v1/chat/completions',
  headers,
});

describe('requestHead', () => {
  it('writes the request line, a host unless given, the headers and the length', () => {
    expect(requestHead(options({ 'x-a': '1' }), '127.0.0.1:8000', 12)).toBe(
      'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1:8000\r\nx-a: 1\r\ncontent-length: 12\r\n\r\n',
    );
    expect(requestHead(options({ Host: 'h' }), '127.0.0.1:8000', -1)).toBe(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\n\r\n',
    );
  });

  it('reads a header object that may change on every send', () => {
    const headers: Record<string, string> = { 'x-id': 'it1' };
    expect(requestHead(options(headers), 'h', 0)).toContain('x-id: it1\r\n');
    headers['x-id'] = 'it2';
    expect(requestHead(options(headers), 'h', 0)).toContain('x-id: it2\r\n');
  });

  it('reads a frozen header object once per method, path and host, and reuses its text', () => {
    let reads = 0;
    const headers = Object.freeze({
      get 'x-id'() {
        reads++;
        return 'fixed';
      },
    }) as Record<string, string>;
    const first = requestHead(options(headers), 'h', 5);
    expect(requestHead(options(headers), 'h', 7)).toBe(first.replace('length: 5', 'length: 7'));
    expect(reads).toBe(1);
    expect(requestHead({ ...options(headers), path: '/v1/completions' }, 'h', 5)).toContain(
      'POST /v1/completions HTTP/1.1\r\n',
    );
    expect(reads).toBe(2);
  });

  it('refuses a header value that would start another header', () => {
    expect(() => requestHead(options({ 'x-a': 'v\r\nx-b: injected' }), 'h', 0)).toThrow(
      /invalid value for header x-a/,
    );
  });
});
