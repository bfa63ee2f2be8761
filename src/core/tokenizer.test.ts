import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Vocabulary } from './tiktoken.js';
import { createTokenizer, tokenizer } from './tokenizer.js';

const require = createRequire(import.meta.url);
/** gpt-tokenizer's own o200k_base: the truth these tests hold ours to. */
const own = require('gpt-tokenizer') as typeof import('gpt-tokenizer');
const PLAIN = { disallowedSpecial: new Set<string>() };
const root = join(import.meta.dirname, '..', '..');

/**
 * The package's decoder (one per thread, never flushed) drops a byte-order mark the first time it
 * decodes bytes: decode a whole character held as bytes first.
 */
own.decode(own.encode('\u{1F9EA}', PLAIN));

/** `text` with each lone surrogate replaced by U+FFFD, as UTF-8 encoding does. */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Ours and the package's agree on `text`: ids, count, decoded text. */
function expectSame(text: string): void {
  const ids = tokenizer().encode(text);
  const want = own.encode(text, PLAIN);
  if (ids.length !== want.length || ids.some((id, i) => id !== want[i])) {
    expect({ text, ids }).toEqual({ text, ids: want });
  }
  expect(tokenizer().count(text)).toBe(want.length);
  const decoded = tokenizer().decode(ids);
  expect(decoded).toBe(own.decode(want));
  expect(decoded).toBe(wellFormed(text));
}

/** A seeded stream of numbers in [0, 1) (mulberry32). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded text drawn from a mix of scripts, whitespace, symbols and special-token text. */
function randomText(next: () => number, parts: number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const from = (lo: number, hi: number): string => String.fromCodePoint(lo + Math.floor(next() * (hi - lo)));
  const run = (unit: () => string, max: number): string => {
    let s = '';
    for (let n = 1 + Math.floor(next() * max); n > 0; n--) s += unit();
    return s;
  };
  const kinds: (() => string)[] = [
    () => run(() => from(0x61, 0x7b), 12),
    () => from(0x41, 0x5b) + run(() => from(0x61, 0x7b), 8),
    () => run(() => from(0x41, 0x5b), 6),
    () => pick(["don't", "I'M", "we've", "'s", "'LL", "x'd", "''"]),
    () => run(() => from(0x30, 0x3a), 9),
    () => run(() => pick([' ', ' ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u2009']), 6),
    () =>
      run(() => pick(['.', ',', ';', '!', '?', '-', '(', ')', '{', '}', '"', '/', '\\', '#', '*', '`']), 5),
    () => run(() => from(0x20, 0x7f), 10),
    () => run(() => pick(['é', 'ñ', 'ü', 'ß', 'Å', 'ø', 'ç', 'e\u0301', 'ö', 'Œ']), 6),
    () => run(() => from(0x4e00, 0x9fff), 10),
    () => run(() => from(0x3041, 0x30ff), 8),
    () => run(() => from(0xac00, 0xd7a4), 6),
    () => run(() => from(0x0600, 0x06ff), 6),
    () => run(() => from(0x0e01, 0x0e5b), 6),
    () => run(() => from(0x1f300, 0x1faff), 4),
    () => pick(['👍🏽', '👨‍👩‍👧‍👦', '🏳️‍🌈', '🇫🇷', '❤️', '🧑🏿‍💻', '1️⃣']),
    () => pick(['\ud800', '\udc00', 'a\udbff', '\udfffb', '\ud83d']),
    () => pick(['<|endoftext|>', '<|endofprompt|>', '<|im_start|>', '<|fim_middle|>', '\ufeff']),
    () => pick(['x', ' ', '\n', '=', '0', '日', '🙂', 'é', '\t', '-']).repeat(1 + Math.floor(next() * 300)),
  ];
  let text = '';
  for (let i = 0; i < parts; i++) text += pick(kinds)();
  return text;
}

describe('tokenizer', () => {
  it("finds every rank by its token's bytes (rank → bytes → rank, all ~200k)", () => {
    const tk = tokenizer();
    expect(tk.ranks).toBe(199_998);
    let wrong = 0;
    for (let rank = 0; rank < tk.ranks; rank++) {
      if (tk.rankOfBytes(tk.tokenBytes(rank)) !== rank) wrong++;
    }
    expect(wrong).toBe(0);
    expect(tk.rankOfBytes(new TextEncoder().encode('not one token, surely'))).toBe(-1);
    expect(() => tk.tokenBytes(tk.ranks)).toThrow(/not a token/);
    expect(() => tk.decode([0, -1])).toThrow(/-1 is not a token/);
  });

  it("encodes this repository's docs and sources as the package does, and decodes them back", () => {
    const files = [
      ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => join(root, 'docs', f)),
      ...readdirSync(join(root, 'src', 'sim'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => join(root, 'src', 'sim', f)),
    ];
    let units = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      units += text.length;
      expectSame(text);
    }
    expect(units).toBeGreaterThan(300_000);
  });

  it('encodes seeded random text of every kind as the package does', () => {
    const next = rng(20261208);
    for (let i = 0; i < 400; i++) expectSame(randomText(next, 1 + Math.floor(next() * 40)));
    // Long pieces (merged with a heap, not by scanning): runs of one character and long words.
    for (const text of ['a'.repeat(5000), ' '.repeat(3000), '日本'.repeat(700), '🙂'.repeat(900)])
      expectSame(text);
    expectSame(
      Array.from({ length: 3000 }, () => String.fromCharCode(0x61 + Math.floor(next() * 26))).join(''),
    );
  });

  it('gives each piece its rank or its count, and each token its text as a stream gives it', () => {
    const tk = tokenizer();
    expect(tk.pieceRank(' hello')).toBe(own.encode(' hello')[0]);
    expect(tk.pieceRank('\ud800')).toBe(-1);
    expect(tk.countPiece('')).toBe(0);
    expect(tk.countPiece('supercalifragilistic')).toBe(own.encode('supercalifragilistic').length);
    const text = 'naïve 日本語 👨‍👩‍👧‍👦 done';
    const ids = tk.encode(text);
    const texts = tk.tokenTexts(ids);
    expect(texts).toHaveLength(ids.length);
    expect(texts.join('')).toBe(text);
    // A token that ends inside a character gives nothing of it; the next one gives it whole.
    expect(texts).toContain('');
    expect(texts.every((t) => !t.includes('\uFFFD'))).toBe(true);
  });

  it('merges the lowest-ranked pair first, the leftmost on ties', () => {
    const tk = createTokenizer(tinyVocabulary(['ab', 'bc', 'abc', 'cd', 'abcd', 'ba', 'aa']));
    const at = (token: string): number => 256 + ['ab', 'bc', 'abc', 'cd', 'abcd', 'ba', 'aa'].indexOf(token);
    // "abc": ab (256) before bc (257), then ab+c = abc.
    expect(tk.countPiece('abc')).toBe(1);
    expect(tk.encode('xabc')).toEqual([0x78, at('abc')]);
    expect(tk.countPiece('xabc')).toBe(2);
    // "bcd": bc, then nothing merges bc with d; cd lost the race.
    expect(tk.encode('bcd')).toEqual([at('bc'), 0x64]);
    // "aaaa": ab/ba never apply, aa is leftmost first: aa aa.
    expect(tk.encode('aaaa')).toEqual([at('aa'), at('aa')]);
    expect(tk.encode('aaa')).toEqual([at('aa'), 0x61]);
    // The same merges for a piece long enough to go through the heap.
    const long = 'abcd'.repeat(30);
    expect(tk.encode(long)).toEqual(Array.from({ length: 30 }, () => at('abcd')));
    expect(tk.encode('a'.repeat(101))).toEqual([...Array.from({ length: 50 }, () => at('aa')), 0x61]);
  });
});

/** Every byte as its own rank (0-255), then `merged` from 256 on. */
function tinyVocabulary(merged: string[]): Vocabulary {
  const tokens = [
    ...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)),
    ...merged.map((t) => Buffer.from(t)),
  ];
  const offsets = new Uint32Array(tokens.length + 1);
  tokens.forEach((t, i) => {
    offsets[i + 1] = (offsets[i] as number) + t.length;
  });
  const bytes = new Uint8Array(offsets[tokens.length] as number);
  tokens.forEach((t, i) => {
    bytes.set(t, offsets[i]);
  });
  return { bytes, offsets };
}
