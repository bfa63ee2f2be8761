/**
 * @module protocols/content-decoding
 * Decodes a response body sent with `Content-Encoding: gzip`, `deflate` or
 * `br` as it streams (node:zlib), each chunk flushed through so its decoded
 * output reaches the reader at once (TTFT is at the first decoded output).
 * Why: CDNs and gateways compress JSON and SSE whether or not a client asked.
 */
import type { Transform } from 'node:stream';
import { constants, createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';

/** The codings decoded; others are passed through as they came. */
export type Coding = 'gzip' | 'deflate' | 'br';

/** A response's `Content-Encoding` as a record shows it (lower case), or undefined for none or `identity`. */
export function encodingOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = (Array.isArray(header) ? header.join(', ') : header).trim().toLowerCase().slice(0, 64);
  return value === '' || value === 'identity' ? undefined : value;
}

/** The coding a `Content-Encoding` value names when it is one this module decodes. */
export function codingOf(encoding: string): Coding | undefined {
  if (encoding === 'gzip' || encoding === 'x-gzip') return 'gzip';
  if (encoding === 'deflate' || encoding === 'br') return encoding;
  return undefined;
}

/** Receives a decoded body: output pieces, then its end or a failure to decode. */
export interface DecodedReader {
  onDecoded(chunk: Buffer): void;
  onDecodedEnd(): void;
  onDecodeError(error: Error): void;
}

/** One response body on its way through a decompressor. */
export class BodyDecoder {
  /** The decompressor, opened by the first body bytes (a body-less response needs none). */
  private stream: Transform | undefined = undefined;
  private closed = false;
  /** The compressed body has ended; the decoder may still be giving output. */
  draining = false;

  constructor(
    readonly coding: Coding,
    private readonly reader: DecodedReader,
  ) {}

  /** Feeds compressed bytes (copied: a transport may reuse its buffer after the call). */
  write(chunk: Buffer): void {
    if (this.closed) return;
    if (this.stream === undefined) this.stream = this.open(chunk);
    this.stream.write(Buffer.from(chunk));
  }

  /** The compressed body ended: the reader hears `onDecodedEnd` once the decoder has given everything. */
  end(): void {
    if (this.closed) return;
    this.draining = true;
    if (this.stream === undefined) {
      this.closed = true;
      this.reader.onDecodedEnd();
    } else this.stream.end();
  }

  /** Stops decoding; the reader hears nothing more. */
  destroy(): void {
    this.closed = true;
    this.stream?.destroy();
  }

  private open(first: Buffer): Transform {
    const stream = decompressor(this.coding, first);
    const reader = this.reader;
    stream.on('data', (chunk: Buffer) => {
      if (!this.closed) reader.onDecoded(chunk);
    });
    stream.on('end', () => {
      if (this.closed) return;
      this.closed = true;
      reader.onDecodedEnd();
    });
    stream.on('error', (err: Error) => {
      if (this.closed) return;
      this.closed = true;
      reader.onDecodeError(err);
    });
    return stream;
  }
}

/**
 * A decompressor that flushes each chunk written (its output comes out with
 * it, not when zlib's window fills). `deflate` is meant to be zlib-wrapped
 * (RFC 9110 §8.4.1.2) but some servers send raw deflate; the first byte tells
 * them apart, as browsers and undici do.
 */
function decompressor(coding: Coding, first: Buffer): Transform {
  if (coding === 'br') return createBrotliDecompress({ flush: constants.BROTLI_OPERATION_FLUSH });
  const options = { flush: constants.Z_SYNC_FLUSH };
  if (coding === 'gzip') return createGunzip(options);
  return ((first[0] as number) & 0x0f) === 0x08 ? createInflate(options) : createInflateRaw(options);
}
