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

describe('OutputText with long parts', () => {
  it('keeps every code unit of long parts, lone surrogates included, and slices any range of them', () => {
    const rng = createRng(11);
    const text = new OutputText();
    let joined = '';
    for (let i = 0; i < 60; i++) {
      // Short and long parts (a 1 MB event is one long part), any code unit, lone surrogates too.
      const length = i % 3 === 0 ? 1 + Math.floor(rng() * 20) : 200 + Math.floor(rng() * 5000);
      const part = String.fromCharCode(...Array.from({ length }, () => Math.floor(rng() * 0x10000)));
      const from = Math.floor(rng() * 3);
      text.append(`${'#'.repeat(from)}${part}`, from, from + part.length);
      joined += part;
    }
    expect(text.toString()).toBe(joined);
    for (let k = 0; k < 50; k++) {
      const from = Math.floor(rng() * joined.length);
      const to = from + Math.floor(rng() * 3000);
      expect(text.slice(from, to)).toBe(joined.slice(from, to));
    }
    const big = 'x\ud800'.repeat(1 << 19);
    const once = new OutputText();
    once.append(big);
    expect(once.toString()).toBe(big);
  });
});

describe('OutputText with parts kept as strings', () => {
  it('equals the parts joined when some are 64K units or more, slices any range, and resets to empty', () => {
    const rng = createRng(13);
    const text = new OutputText();
    let joined = '';
    const add = (part: string, pad = 0) => {
      text.append(`${'#'.repeat(pad)}${part}${'#'.repeat(pad)}`, pad, pad + part.length);
      joined += part;
      expect(text.length).toBe(joined.length);
    };
    const unit = () => Math.floor(rng() * 0x10000);
    // Long parts (a 1 MiB SSE event, or just at the switch) between short ones, lone surrogates too.
    add(' a');
    add(' tok'.repeat(1 << 18));
    for (let i = 0; i < 30; i++)
      add(String.fromCharCode(...Array.from({ length: 1 + (i % 7) * 60 }, unit)), i % 3);
    add('é\ud800'.repeat(32_768), 2);
    add('x'.repeat(65_535));
    add(' end');
    expect(text.toString()).toBe(joined);
    for (let k = 0; k < 40; k++) {
      const from = Math.floor(rng() * joined.length);
      const to = from + Math.floor(rng() * (k % 2 === 0 ? 300 : 200_000));
      expect(text.slice(from, to)).toBe(joined.slice(from, to));
    }
    expect(text.slice(joined.length - 4, joined.length + 10)).toBe(' end');
    text.reset();
    expect(text.length).toBe(0);
    expect(text.toString()).toBe('');
    text.append(' next');
    expect(text.toString()).toBe(' next');
    expect(text.slice(0, 3)).toBe(' ne');
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
