/**
 * @module core/tokenizer
 * gpt-tokenizer (o200k_base), loaded on first use and shared by every caller
 * in a thread: the client's count, synthetic prompts and the mock. Why lazy:
 * building its byte-pair tables costs ~0.2-0.4 s of CPU and ~50 MB of RSS per
 * thread, which the coordinator, a `validate` or a `report` never need. One
 * loader (the package's CommonJS build, required synchronously) so that a
 * thread never holds two copies of the tables.
 *
 * The ranks come from the package's own `data/o200k_base.tiktoken` (one
 * base64 token and its rank a line), read into the same table the package's
 * `bpeRanks/o200k_base.js` holds (tokenizer.test.ts compares them entry by
 * entry), and handed to the package's own `GptEncoding`: the counts are the
 * package's. Why: evaluating that 2.4 MB array literal took ~40 MB of RSS and
 * twice the time of reading the data file with no garbage per line.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type GptTokenizer = typeof import('gpt-tokenizer');
/** What tokenstorm uses of gpt-tokenizer; `default` is the encoding itself. */
export type Tokenizer = Pick<GptTokenizer, 'encode' | 'decode' | 'default'>;
/** One rank's token: its text when it is valid UTF-8, else its bytes (as the package holds them). */
export type RankEntry = string | number[];

const require = createRequire(import.meta.url);
let loaded: Tokenizer | undefined;

/** Base64 digit values by character code (-1: not a digit). */
const BASE64 = (() => {
  const digits = new Int8Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) digits[alphabet.charCodeAt(i)] = i;
  return digits;
})();
const SPACE = 0x20;
const NEWLINE = 0x0a;
const PAD = 0x3d;

/**
 * The ranks of a `.tiktoken` file (`<base64 token> <rank>` a line): a token that is valid UTF-8
 * is its text, another (or one that starts with a byte-order mark) its bytes. Decodes in place: one string (or array) per token, no other garbage.
 * @throws Error on a line that is not base64, a space and a rank.
 */
export function ranksOfTiktoken(data: Uint8Array): RankEntry[] {
  const ranks: RankEntry[] = [];
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const token = new Uint8Array(1024);
  let at = 0;
  while (at < data.length) {
    if (data[at] === NEWLINE) {
      at++;
      continue;
    }
    let length = 0;
    let bits = 0;
    let acc = 0;
    for (; at < data.length && data[at] !== SPACE && data[at] !== NEWLINE; at++) {
      const c = data[at] as number;
      if (c === PAD) continue;
      const digit = c < 128 ? (BASE64[c] as number) : -1;
      if (digit < 0 || length >= token.length) throw new Error(`tiktoken data: bad token at byte ${at}`);
      acc = ((acc << 6) | digit) & 0xffffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        token[length++] = (acc >> bits) & 0xff;
      }
    }
    if (data[at] !== SPACE) throw new Error(`tiktoken data: no rank at byte ${at}`);
    at++;
    let rank = 0;
    let digits = 0;
    for (; at < data.length && data[at] !== NEWLINE; at++, digits++) {
      const d = (data[at] as number) - 0x30;
      if (d < 0 || d > 9) throw new Error(`tiktoken data: bad rank at byte ${at}`);
      rank = rank * 10 + d;
    }
    if (digits === 0) throw new Error(`tiktoken data: no rank at byte ${at}`);
    const bytes = token.subarray(0, length);
    let text: string | undefined;
    // A token that starts with a byte-order mark is held as bytes by the package.
    if (!(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)) {
      try {
        text = utf8.decode(bytes);
      } catch {
        text = undefined;
      }
    }
    ranks[rank] = text ?? Array.from(bytes);
  }
  return ranks;
}

/** The tokenizer; the first call in a thread builds its tables. */
export function tokenizer(): Tokenizer {
  if (loaded === undefined) {
    const { GptEncoding } =
      require('gpt-tokenizer/GptEncoding') as typeof import('gpt-tokenizer/GptEncoding');
    const ranks = ranksOfTiktoken(readFileSync(require.resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    const encoding = GptEncoding.getEncodingApi('o200k_base', () => ranks);
    loaded = { encode: encoding.encode, decode: encoding.decode, default: encoding };
  }
  return loaded;
}

/** Whether this thread has loaded the tokenizer (start-up tests check that it has not). */
export function tokenizerLoaded(): boolean {
  return loaded !== undefined;
}
