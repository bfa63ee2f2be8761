import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { vocabularyOfTiktoken, vocabularyOfTiktokenFile } from './tiktoken.js';

const require = createRequire(import.meta.url);

describe('tiktoken data', () => {
  it("holds every token of the package's tiktoken data as its bpeRanks module does", () => {
    const file = require.resolve('gpt-tokenizer/data/o200k_base.tiktoken');
    const { bytes, offsets } = vocabularyOfTiktokenFile(file);
    // Read in chunks (lines cut between them) or whole: the same arrays.
    const whole = vocabularyOfTiktoken(readFileSync(file));
    expect(Buffer.compare(whole.bytes, bytes)).toBe(0);
    const view = (a: Uint32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    expect(Buffer.compare(view(whole.offsets), view(offsets))).toBe(0);
    const reference = (require('gpt-tokenizer/cjs/bpeRanks/o200k_base') as { default: (string | number[])[] })
      .default;
    expect(offsets.length).toBe(reference.length + 1);
    const utf8 = new TextEncoder();
    let differ = 0;
    for (let rank = 0; rank < reference.length; rank++) {
      const entry = reference[rank] as string | number[];
      const want = typeof entry === 'string' ? utf8.encode(entry) : Uint8Array.from(entry);
      const got = bytes.subarray(offsets[rank], offsets[rank + 1]);
      if (got.length !== want.length || got.some((b, i) => b !== want[i])) differ++;
    }
    expect(differ).toBe(0);
    expect(bytes.length).toBe(offsets[reference.length]);
  });

  it('reads ranks in any order and rejects data that is not a tiktoken file', () => {
    expect(() => vocabularyOfTiktoken(Buffer.from('ab!c 0\n'))).toThrow(/bad token/);
    expect(() => vocabularyOfTiktoken(Buffer.from('YWI= x\n'))).toThrow(/bad rank/);
    expect(() => vocabularyOfTiktoken(Buffer.from('YWI=\n'))).toThrow(/no rank/);
    expect(() => vocabularyOfTiktoken(Buffer.from('YWI= 0\n 1\n'))).toThrow(/no token at byte 7/);
    expect(() => vocabularyOfTiktoken(Buffer.from('YWI= 0\nY 1\n'))).toThrow(/bad token at byte 7/);
    expect(() => vocabularyOfTiktoken(Buffer.from('YWI= 0\nYWI= 0\n'))).toThrow(/rank 0 given twice/);
    const { bytes, offsets } = vocabularyOfTiktoken(Buffer.from('YWI= 1\n/w== 0\n\nYWJj 3'));
    expect([...offsets]).toEqual([0, 1, 3, 3, 6]);
    expect([...bytes]).toEqual([0xff, 0x61, 0x62, 0x61, 0x62, 0x63]);
  });

  it('grows past its first guess of the sizes (long tokens, many short lines)', () => {
    const long = Array.from({ length: 40 }, (_, i) => Buffer.alloc(300, i + 1));
    const short = Array.from({ length: 3000 }, (_, i) => Buffer.from([i >> 8, i & 0xff]));
    for (const tokens of [long, short]) {
      const data = Buffer.from(tokens.map((t, rank) => `${t.toString('base64')} ${rank}\n`).join(''));
      const { bytes, offsets } = vocabularyOfTiktoken(data);
      expect(offsets.length).toBe(tokens.length + 1);
      expect(Buffer.compare(bytes, Buffer.concat(tokens))).toBe(0);
      expect(offsets[tokens.length]).toBe(bytes.length);
    }
  });
});
