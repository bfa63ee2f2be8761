import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type RankEntry, ranksOfTiktoken, tokenizer } from './tokenizer.js';

const require = createRequire(import.meta.url);

describe('tokenizer', () => {
  it("reads the package's tiktoken data into the very table its bpeRanks module holds", () => {
    const ranks = ranksOfTiktoken(readFileSync(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    const reference = (require('gpt-tokenizer/cjs/bpeRanks/o200k_base') as { default: RankEntry[] }).default;
    expect(ranks.length).toBe(reference.length);
    let strings = 0;
    let differ = 0;
    for (let i = 0; i < reference.length; i++) {
      const want = reference[i];
      const got = ranks[i];
      if (typeof want === 'string') strings++;
      const same =
        typeof want === 'string' || want === undefined
          ? got === want
          : Array.isArray(got) && got.length === want.length && got.every((b, j) => b === want[j]);
      if (!same) differ++;
    }
    expect(differ).toBe(0);
    // Both kinds occur: text tokens, and byte tokens that are not valid UTF-8 alone.
    expect(strings).toBeGreaterThan(190_000);
    expect(strings).toBeLessThan(reference.length);
  });

  it("encodes and decodes as the package's own o200k_base does", () => {
    const own = require('gpt-tokenizer') as typeof import('gpt-tokenizer');
    const texts = [
      'Explain load testing in one paragraph.',
      '  leading spaces, tabs\tand\nnewlines\r\n',
      'ünïcödé, 日本語のテキスト, ไม่มีช่องว่าง, emoji 🙂👍🏽',
      '\uFEFFa byte-order mark, then <|endoftext|> as plain text',
      'x'.repeat(300),
      '12345678901234567890 3.14159 -42',
    ];
    const options = { disallowedSpecial: new Set<string>() };
    for (const text of texts) {
      const ids = tokenizer().encode(text, options);
      expect(ids).toEqual(own.encode(text, options));
      expect(tokenizer().decode(ids)).toBe(text);
    }
  });

  it('rejects data that is not a tiktoken file', () => {
    expect(() => ranksOfTiktoken(Buffer.from('ab!c 0\n'))).toThrow(/bad token/);
    expect(() => ranksOfTiktoken(Buffer.from('YWI= x\n'))).toThrow(/bad rank/);
    expect(() => ranksOfTiktoken(Buffer.from('YWI=\n'))).toThrow(/no rank/);
    expect(ranksOfTiktoken(Buffer.from('YWI= 1\n/w== 0\n'))).toEqual([[255], 'ab']);
  });
});
