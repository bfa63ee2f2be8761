/**
 * @module protocols/http1/response-head
 * Parses a response's status line and headers, reading the headers that
 * frame its body (length, coding, keep-alive) as they are met.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { HttpClientError } from './types.js';

export const NO_LENGTH = -1;
export const BAD_LENGTH = -2;

export enum Coding {
  None,
  Chunked,
  /** A transfer coding other than chunked last: the body ends with the connection. */
  Other,
}

/** A response head, with what frames its body read out of the headers as they were parsed. */
export interface ResponseHead {
  status: number;
  http10: boolean;
  /** Names in lower case, repeated headers as arrays (as undici gives them). */
  headers: IncomingHttpHeaders;
  /** `content-length`, `NO_LENGTH` or `BAD_LENGTH` (not one number, or repeats that disagree). */
  length: number;
  coding: Coding;
  /** `connection: close` / `keep-alive`. */
  close: boolean;
  keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=N` (s), or -1. */
  keepAliveHintS: number;
}

/** The last head parsed, by its text (see {@link parseHead}). */
let lastText = '';
let lastHead: ResponseHead | undefined;

/**
 * Parses a response head (status line and header lines, without the blank
 * line). A server sends most requests the same head (nginx's changes with its
 * `Date`, once a second), so a head equal to the last one parsed is that
 * one again: comparing the text cost a fraction of parsing it, which with
 * the header object it builds was ~5 % of the worker in the plain-HTTP loop
 * (`perf`). Heads are frozen, headers too, so sharing one cannot leak a
 * change from one response into another.
 */
export function parseHead(text: string): ResponseHead | HttpClientError {
  if (text === lastText && lastHead !== undefined) return lastHead;
  const head = parseNewHead(text);
  if (head instanceof HttpClientError) return head;
  for (const value of Object.values(head.headers)) if (Array.isArray(value)) Object.freeze(value);
  Object.freeze(head.headers);
  lastText = text;
  lastHead = Object.freeze(head);
  return head;
}

/**
 * One pass over one string: each response of a fast loop comes here, so the
 * framing headers are read as they are met, not looked up after.
 */
function parseNewHead(text: string): ResponseHead | HttpClientError {
  // "HTTP/1.x SSS reason"
  const c12 = text.charCodeAt(12);
  if (
    text.length < 12 ||
    !text.startsWith('HTTP/1.') ||
    text.charCodeAt(8) !== 0x20 ||
    !isDigit(text.charCodeAt(9)) ||
    !isDigit(text.charCodeAt(10)) ||
    !isDigit(text.charCodeAt(11)) ||
    (text.length > 12 && c12 !== 0x20 && c12 !== 0x0d)
  ) {
    return new HttpClientError(
      'HTTP_PARSE_ERROR',
      `the response did not start with an HTTP/1.x status line: ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
  const head: ResponseHead = {
    status: (text.charCodeAt(9) - 48) * 100 + (text.charCodeAt(10) - 48) * 10 + (text.charCodeAt(11) - 48),
    http10: text.charCodeAt(7) === 0x30,
    headers: {},
    length: NO_LENGTH,
    coding: Coding.None,
    close: false,
    keepAlive: false,
    keepAliveHintS: -1,
  };
  const headers = head.headers as Record<string, string | string[]>;
  const length = text.length;
  let from = text.indexOf('\r\n');
  from = from < 0 ? length : from + 2;
  while (from < length) {
    let to = text.indexOf('\r\n', from);
    if (to < 0) to = length;
    const colon = text.indexOf(':', from);
    if (colon < 0 || colon > to || colon === from) {
      return new HttpClientError(
        'HTTP_PARSE_ERROR',
        `malformed header line: ${JSON.stringify(text.slice(from, Math.min(to, from + 60)))}`,
      );
    }
    const name = headerName(text.slice(from, colon));
    let v = colon + 1;
    while (v < to && isSpace(text.charCodeAt(v))) v++;
    let e = to;
    while (e > v && isSpace(text.charCodeAt(e - 1))) e--;
    const value = text.slice(v, e);
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
    if (name.length === 14 && name === 'content-length') {
      const n = digits(value);
      head.length = n < 0 || (head.length !== NO_LENGTH && head.length !== n) ? BAD_LENGTH : n;
    } else if (name.length === 17 && name === 'transfer-encoding') {
      // The last coding decides (RFC 9112 §6.3); repeats read as one list.
      head.coding = /(?:^|,)[ \t]*chunked[ \t]*$/i.test(value) ? Coding.Chunked : Coding.Other;
    } else if (name.length === 10 && name === 'connection') {
      const lower = value.toLowerCase();
      if (lower === 'keep-alive') head.keepAlive = true;
      else if (lower === 'close') head.close = true;
      else {
        if (/(?:^|,)[ \t]*close[ \t]*(?:,|$)/.test(lower)) head.close = true;
        if (/(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/.test(lower)) head.keepAlive = true;
      }
    } else if (name.length === 10 && name === 'keep-alive') {
      const match = /timeout=(\d+)/i.exec(value);
      if (match !== null) head.keepAliveHintS = Number(match[1]);
    }
    from = to + 2;
  }
  return head;
}

/** Header names as sent, to their lower case: a server repeats the same few, and one string object per name makes a fast property key. */
const names = new Map<string, string>();
const MAX_NAMES = 512;

function headerName(raw: string): string {
  let name = names.get(raw);
  if (name === undefined) {
    name = raw.toLowerCase();
    if (names.size < MAX_NAMES) names.set(raw, name);
  }
  return name;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** A `content-length` value: the number, or -1 when it is not one (a list of equal numbers counts as one). */
function digits(value: string): number {
  const length = value.length;
  if (length === 0 || length > 15) return value.includes(',') ? listLength(value) : -1;
  let n = 0;
  for (let i = 0; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return value.includes(',') ? listLength(value) : -1;
    n = n * 10 + code - 0x30;
  }
  return n;
}

/** `content-length: 5, 5` (a proxy that merged repeats): one number when they agree. */
function listLength(value: string): number {
  let length = -1;
  for (const part of value.split(',')) {
    const text = part.trim();
    if (!/^\d{1,15}$/.test(text)) return -1;
    const n = Number(text);
    if (length >= 0 && n !== length) return -1;
    length = n;
  }
  return length;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

/** The failure of a response head past the size limit. */
export function headTooLarge(max: number): HttpClientError {
  return new HttpClientError('HEADERS_TOO_LARGE', `the response head is larger than ${max} bytes`);
}
