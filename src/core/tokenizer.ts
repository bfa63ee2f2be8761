/**
 * @module core/tokenizer
 * The o200k_base byte-pair encoder, ours, loaded on first use and shared by
 * every caller in a thread (the client's count, the mock's counts and
 * answers). Contract: {@link Tokenizer.encode} gives gpt-tokenizer's ids
 * exactly (special-token text is plain text), {@link Tokenizer.decode} its
 * string for ids of whole characters; tokenizer.test.ts holds it to the
 * package. This file splits text into pieces and builds the tables once per
 * thread (core/tiktoken reads the data file, tokenizer-table looks ranks up,
 * tokenizer-merge merges a piece). Why our own and lazy: gpt-tokenizer's
 * tables cost a thread ~52 MB and ~200 ms, these ~3 MB and ~50 ms, which the
 * coordinator never pays (docs/design/2026-12-08-startup.md).
 */
import { createRequire } from 'node:module';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { type Vocabulary, vocabularyOfTiktokenFile } from './tiktoken.js';
import { PieceMerge } from './tokenizer-merge.js';
import { NOT_ASCII, RankTable } from './tokenizer-table.js';

/** The o200k_base encoder: ids, text, and the per-piece steps the client's count runs. */
export interface Tokenizer {
  /** The ids of `text` (special-token text is encoded as plain text). */
  encode(text: string): number[];
  /** How many ids {@link Tokenizer.encode} gives for `text`, without making them. */
  count(text: string): number;
  /**
   * The text of `ids` (invalid UTF-8, as from ids cut inside a character, becomes U+FFFD).
   * @throws Error on an id that is no token.
   */
  decode(ids: readonly number[]): string;
  /**
   * Each id's text as a stream of them gives it: a token that ends inside a character gives
   * what it completes, and the rest of that character comes with the next one.
   */
  tokenTexts(ids: readonly number[]): string[];
  /** How many tokens one pre-tokenizer piece merges into (`piece` is not split first). */
  countPiece(piece: string): number;
  /** The rank of a pre-tokenizer piece that is a token by itself, else -1. */
  pieceRank(piece: string): number;
  /** A token's bytes (a view; do not write to it). @throws Error on an id that is no token. */
  tokenBytes(id: number): Uint8Array;
  /** The rank of a token by its bytes, else -1. */
  rankOfBytes(bytes: Uint8Array): number;
  /** One past the highest rank. */
  readonly ranks: number;
}

const require = createRequire(import.meta.url);
let loaded: Tokenizer | undefined;

class BytePairEncoder implements Tokenizer {
  readonly ranks: number;
  private readonly table: RankTable;
  private readonly pieces: PieceMerge;
  private readonly split = new RegExp(O200K_TOKEN_SPLIT_REGEX.source, O200K_TOKEN_SPLIT_REGEX.flags);
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(vocabulary: Vocabulary) {
    this.table = new RankTable(vocabulary);
    this.pieces = new PieceMerge(this.table);
    this.ranks = this.table.ranks;
  }

  rankOfBytes(bytes: Uint8Array): number {
    return this.table.find(bytes, 0, bytes.length);
  }

  tokenBytes(id: number): Uint8Array {
    return this.table.tokenBytes(id);
  }

  pieceRank(piece: string): number {
    const rank = this.table.findAscii(piece);
    if (rank !== NOT_ASCII) return rank;
    // gpt-tokenizer looks a piece up by its text: one with a lone surrogate is never a token, nor
    // one that starts with a byte-order mark (the package holds those tokens as bytes).
    if (piece.charCodeAt(0) === 0xfeff || hasLoneSurrogate(piece)) return -1;
    return this.pieces.rankOfUtf8(piece);
  }

  countPiece(piece: string): number {
    if (piece === '') return 0;
    return this.pieceRank(piece) >= 0 ? 1 : this.pieces.merge(piece, undefined);
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    const split = this.split;
    split.lastIndex = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) {
      const piece = m[0];
      const rank = this.pieceRank(piece);
      if (rank >= 0) ids.push(rank);
      else this.pieces.merge(piece, ids);
    }
    return ids;
  }

  count(text: string): number {
    let total = 0;
    const split = this.split;
    split.lastIndex = 0;
    for (let m = split.exec(text); m !== null; m = split.exec(text)) total += this.countPiece(m[0]);
    return total;
  }

  decode(ids: readonly number[]): string {
    let total = 0;
    for (const id of ids) total += this.tokenBytes(id).length;
    const out = new Uint8Array(total);
    let at = 0;
    for (const id of ids) {
      const token = this.tokenBytes(id);
      out.set(token, at);
      at += token.length;
    }
    return this.text.decode(out);
  }

  tokenTexts(ids: readonly number[]): string[] {
    const stream = new TextDecoder('utf-8', { ignoreBOM: true });
    const texts = ids.map((id) => stream.decode(this.tokenBytes(id), { stream: true }));
    const rest = stream.decode();
    if (rest !== '' && texts.length > 0) texts[texts.length - 1] += rest;
    return texts;
  }
}

/** Whether `text` holds half of a surrogate pair alone. */
function hasLoneSurrogate(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c >= 0xdc00) return true;
    const low = text.charCodeAt(i + 1);
    if (!(low >= 0xdc00 && low <= 0xdfff)) return true;
    i++;
  }
  return false;
}

/** An encoder over a vocabulary (tests build one from a small file). */
export function createTokenizer(vocabulary: Vocabulary): Tokenizer {
  return new BytePairEncoder(vocabulary);
}

/** The o200k_base tokenizer; the first call in a thread builds its tables. */
export function tokenizer(): Tokenizer {
  if (loaded === undefined) {
    loaded = createTokenizer(
      vocabularyOfTiktokenFile(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken')),
    );
  }
  return loaded;
}

/** Whether this thread has loaded the tokenizer (start-up tests check that it has not). */
export function tokenizerLoaded(): boolean {
  return loaded !== undefined;
}
