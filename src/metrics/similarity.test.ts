import { l as jsRougeL } from 'js-rouge';
import { describe, expect, it } from 'vitest';
import { createRng } from '../random/index.js';
import {
  cosine,
  DEFAULT_REFUSAL_PATTERNS,
  lcsLength,
  MAX_SIMILARITY_WORDS,
  refusalMatcher,
  rougeL,
  textKey,
  tokenF1,
  wordsOf,
} from './similarity.js';

describe('wordsOf', () => {
  it('lowercases and drops punctuation, keeps numbers and accents', () => {
    expect(wordsOf('Hello, World! 42 café-au-lait.')).toEqual(['hello', 'world', '42', 'café', 'au', 'lait']);
  });

  it('cuts a text at MAX_SIMILARITY_WORDS words', () => {
    expect(wordsOf('w '.repeat(MAX_SIMILARITY_WORDS + 10))).toHaveLength(MAX_SIMILARITY_WORDS);
  });
});

describe('tokenF1', () => {
  it('is the harmonic mean of word precision and recall, as multisets', () => {
    // answer: the cat sat on the mat (6) / reference: the cat is on the mat (6)
    // common multiset: the×2, cat, on, mat = 5 → P = R = 5/6.
    expect(tokenF1('The cat sat on the mat.', 'the cat is on the mat')).toBeCloseTo(5 / 6, 10);
    // answer a a b (3), reference a b b c (4): common a, b = 2 → P 2/3, R 1/2, F1 = 4/7.
    expect(tokenF1('a a b', 'a b b c')).toBeCloseTo(4 / 7, 10);
  });

  it('is 1 for equal texts, 0 for disjoint ones, and handles empty texts', () => {
    expect(tokenF1('same words here', 'Same words, here!')).toBe(1);
    expect(tokenF1('alpha beta', 'gamma delta')).toBe(0);
    expect(tokenF1('', '')).toBe(1);
    expect(tokenF1('', 'something')).toBe(0);
    expect(tokenF1('something', '...')).toBe(0);
  });
});

describe('ROUGE-L', () => {
  it('is the F1 of the longest common subsequence', () => {
    // LCS of "a b c d e" and "a x c y e" is a c e (3): P = R = 3/5.
    expect(lcsLength(['a', 'b', 'c', 'd', 'e'], ['a', 'x', 'c', 'y', 'e'])).toBe(3);
    expect(rougeL('a b c d e', 'a x c y e')).toBeCloseTo(0.6, 10);
    // Order matters for ROUGE-L, not for F1: reversed words share 1 in sequence.
    expect(rougeL('one two three', 'three two one')).toBeCloseTo(1 / 3, 10);
    expect(tokenF1('one two three', 'three two one')).toBe(1);
    // A prefix of the reference: P = 1, R = 2/6.
    expect(rougeL('alpha beta', 'alpha beta gamma delta epsilon zeta')).toBeCloseTo(
      (2 * (1 / 3)) / (1 + 1 / 3),
      10,
    );
  });

  it('agrees with js-rouge (one sentence, same words) on random texts', () => {
    const rng = createRng(7);
    const vocabulary = [
      'load',
      'test',
      'token',
      'queue',
      'batch',
      'model',
      'cache',
      'server',
      'time',
      'first',
    ];
    const text = (n: number) =>
      Array.from({ length: n }, () => vocabulary[Math.floor(rng() * vocabulary.length)]).join(' ');
    const options = { caseSensitive: false, segmenter: (s: string) => [s], tokenizer: wordsOf };
    for (let i = 0; i < 200; i++) {
      const a = text(1 + Math.floor(rng() * 40));
      const b = text(1 + Math.floor(rng() * 40));
      expect(rougeL(a, b)).toBeCloseTo(jsRougeL(a, b, options), 10);
    }
  });
});

describe('refusalMatcher', () => {
  const isRefusal = refusalMatcher();

  it('catches common refusals by default and leaves answers alone', () => {
    expect(DEFAULT_REFUSAL_PATTERNS.length).toBeGreaterThan(0);
    expect(isRefusal("I'm sorry, but I can't help with that request right now.")).toBe(true);
    expect(isRefusal('I cannot assist with this.')).toBe(true);
    expect(isRefusal('As an AI language model, I do not have opinions.')).toBe(true);
    expect(isRefusal('Time to first token measures how long a user waits.')).toBe(false);
    expect(isRefusal('The server cannot keep up when the queue grows.')).toBe(false);
  });

  it('only looks at the start of an answer', () => {
    expect(isRefusal(`${'fine answer '.repeat(40)} I'm sorry, I can't help`)).toBe(false);
  });

  it('takes custom patterns, case-insensitive', () => {
    const custom = refusalMatcher(['^NOPE\\b']);
    expect(custom('nope, not today')).toBe(true);
    expect(custom("I'm sorry")).toBe(false);
  });
});

describe('cosine', () => {
  it('is 1 for parallel, 0 for orthogonal, -1 for opposite vectors', () => {
    expect(cosine([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(cosine([1, 0], [0, 5])).toBe(0);
    expect(cosine([1, -1], [-1, 1])).toBeCloseTo(-1, 12);
    expect(cosine([3, 4], [4, 3])).toBeCloseTo(24 / 25, 12);
    expect(cosine([0, 0], [1, 1])).toBe(0);
    expect(() => cosine([1], [1, 2])).toThrow(/different lengths/);
  });
});

describe('textKey', () => {
  it('is the same for the same text and differs for different ones', () => {
    expect(textKey('{"messages":[1]}')).toBe(textKey('{"messages":[1]}'));
    expect(textKey('a')).not.toBe(textKey('b'));
  });
});
