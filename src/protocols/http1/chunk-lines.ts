/**
 * @module protocols/http1/chunk-lines
 * The lines of a chunked body (RFC 9112 §7.1): a chunk's size line, the line
 * end after its data. Read off the bytes in the common case, from text when
 * a line has extensions or arrived in pieces.
 */

/** Where the line after the CRLF (or bare LF) at `at` starts, or -1 when no line end is there. */
export function lineEnd(chunk: Buffer, at: number): number {
  const byte = chunk[at];
  if (byte === 0x0a) return at + 1;
  if (byte === 0x0d && chunk[at + 1] === 0x0a) return at + 2;
  return -1;
}

/** A hex digit's value, or -1. */
export function hexDigit(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The size a chunk-size line gives (extensions after `;` ignored), or -1 when it is not one. */
export function chunkSizeOf(line: string): number {
  const semicolon = line.indexOf(';');
  const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).trim();
  return /^[0-9a-fA-F]{1,12}$/.test(digits) ? Number.parseInt(digits, 16) : -1;
}
