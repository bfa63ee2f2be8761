import { describe, expect, it } from 'vitest';
import { createRng } from '../random/index.js';
import { GapList, OutputText } from './stream-buffers.js';

describe('OutputText', () => {
  it('equals the appended slices joined, non-ASCII and split surrogate pairs included', () => {
    const text = new OutputText();
    const emoji = '😀'; // two code units
    text.append('xx Hello', 3);
    text.append(', 日本語 ü');
    text.append(emoji, 0, 1);
    text.append(emoji, 1, 2);
    text.append('ab\u0000c', 1, 4);
    text.append('', 0, 0);
    expect(text.toString()).toBe(`Hello, 日本語 ü${emoji}b\u0000c`);
    expect(text.length).toBe(`Hello, 日本語 ü${emoji}b\u0000c`.length);
    // A lone surrogate stays as it came.
    const lone = new OutputText();
    lone.append('\ud83d');
    expect(lone.toString()).toBe('\ud83d');
  });

  it('grows past one call of String.fromCharCode and starts empty after a reset', () => {
    const rng = createRng(7);
    const text = new OutputText();
    const pieces: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const piece = String.fromCharCode(
        ...Array.from({ length: 1 + Math.floor(rng() * 6) }, () => 32 + Math.floor(rng() * 0x3000)),
      );
      pieces.push(piece);
      text.append(`<${piece}>`, 1, piece.length + 1);
    }
    expect(text.length).toBeGreaterThan(8192 * 2);
    expect(text.toString()).toBe(pieces.join(''));
    text.reset();
    expect(text.toString()).toBe('');
    text.append(' next');
    expect(text.toString()).toBe(' next');
    text.reset();
    text.append(' and again');
    expect(text.toString()).toBe(' and again');
  });
});

describe('GapList', () => {
  it('holds the gaps pushed, in order, across growth and resets', () => {
    const gaps = new GapList();
    expect(gaps.toArray()).toEqual([]);
    const pushed = Array.from({ length: 3000 }, (_, i) => i * 0.25 - 3);
    for (const g of pushed) gaps.push(g);
    expect(gaps.count).toBe(3000);
    expect(gaps.toArray()).toEqual(pushed);
    gaps.reset();
    expect(gaps.toArray()).toEqual([]);
    gaps.push(5.5);
    gaps.push(4.25);
    expect(gaps.toArray()).toEqual([5.5, 4.25]);
    gaps.reset();
    gaps.push(1);
    expect(gaps.toArray()).toEqual([1]);
  });
});
