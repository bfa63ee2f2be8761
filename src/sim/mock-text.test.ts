import { decode, encode } from 'gpt-tokenizer';
import { describe, expect, it } from 'vitest';
import { createRng, createSampler } from '../random/index.js';
import { countPromptTokens, createAnswer, generateTokens, hashText, MOCK_VOCABULARY } from './mock-text.js';

describe('MOCK_VOCABULARY', () => {
  it('has about 200 distinct entries', () => {
    expect(MOCK_VOCABULARY.length).toBeGreaterThanOrEqual(190);
    expect(new Set(MOCK_VOCABULARY).size).toBe(MOCK_VOCABULARY.length);
  });

  it('encodes every entry to exactly one token', () => {
    for (const entry of MOCK_VOCABULARY) {
      const tokens = encode(entry);
      expect(tokens, JSON.stringify(entry)).toHaveLength(1);
      expect(decode(tokens)).toBe(entry);
    }
  });
});

describe('generateTokens', () => {
  it('gives text that encodes to exactly as many tokens as were generated', () => {
    for (let seed = 0; seed < 200; seed++) {
      const count = 1 + ((seed * 37) % 400);
      const tokens = generateTokens(createRng(seed), count);
      expect(tokens).toHaveLength(count);
      expect(encode(tokens.join('')), `seed ${seed}`).toHaveLength(count);
    }
  });

  it('ends sentences with "." and never repeats it', () => {
    const text = generateTokens(createRng(7), 500).join('');
    expect(text).toContain('.');
    expect(text).not.toContain('..');
    expect(text.startsWith(' ')).toBe(true);
  });
});

describe('createAnswer', () => {
  const sixtyFour = createSampler(64);

  it('gives the same answer to the same prompt and seed', () => {
    const a = createAnswer(42, 'Explain load testing.', sixtyFour);
    const b = createAnswer(42, 'Explain load testing.', sixtyFour);
    expect(a.tokens).toHaveLength(64);
    expect(a).toEqual(b);
    expect(a.finishReason).toBe('stop');
  });

  it('gives different answers to different prompts or seeds', () => {
    const base = createAnswer(42, 'Explain load testing.', sixtyFour).tokens.join('');
    expect(createAnswer(42, 'Explain load testing!', sixtyFour).tokens.join('')).not.toBe(base);
    expect(createAnswer(43, 'Explain load testing.', sixtyFour).tokens.join('')).not.toBe(base);
  });

  it('keeps a prefix of the answer when capped by max tokens', () => {
    const full = createAnswer(1, 'prompt', sixtyFour);
    const capped = createAnswer(1, 'prompt', sixtyFour, 10);
    expect(capped.finishReason).toBe('length');
    expect(capped.tokens).toEqual(full.tokens.slice(0, 10));
    expect(createAnswer(1, 'prompt', sixtyFour, 64).finishReason).toBe('stop');
  });

  it('rounds the drawn length and gives at least one token', () => {
    expect(createAnswer(1, 'p', createSampler(0)).tokens).toHaveLength(1);
    expect(createAnswer(1, 'p', createSampler(4.6)).tokens).toHaveLength(5);
  });
});

describe('countPromptTokens and hashText', () => {
  it('counts with the default encoding and accepts special-token text', () => {
    expect(countPromptTokens('hello world')).toBe(encode('hello world').length);
    expect(countPromptTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('hashes stably', () => {
    expect(hashText('abc')).toBe(hashText('abc'));
    expect(hashText('abc')).not.toBe(hashText('abd'));
    expect(hashText('')).toBe(0x811c9dc5);
  });
});
