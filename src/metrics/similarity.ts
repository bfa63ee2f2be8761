/**
 * @module metrics/similarity
 * Lexical measures of how close an answer is to another text: token-set F1
 * (SQuAD-style overlap of word multisets) and ROUGE-L (F-measure over the
 * longest common subsequence of words), refusal detection, and cosine
 * similarity of two vectors. Pure and bounded: each text is cut to
 * `MAX_SIMILARITY_WORDS` words, so a load worker can score every answer.
 * ROUGE-L here is one-sentence ROUGE-L (Lin 2004, §3.1) over lowercase words;
 * js-rouge (a test oracle here) gives the same figure with the same tokenizer,
 * but took about 6 times as long on a 300-word pair, on the worker's event loop.
 */

/** Words compared at most per text (the LCS is quadratic in it). */
export const MAX_SIMILARITY_WORDS = 1000;

/** Lowercase words and numbers of a text (Unicode letters, marks and digits; punctuation dropped). */
export function wordsOf(text: string): string[] {
  const words = text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+/gu) ?? [];
  return words.length > MAX_SIMILARITY_WORDS ? words.slice(0, MAX_SIMILARITY_WORDS) : words;
}

function f1(common: number, a: number, b: number): number {
  if (common === 0) return 0;
  const precision = common / a;
  const recall = common / b;
  return (2 * precision * recall) / (precision + recall);
}

/** Both empty: the same (1); one empty: nothing shared (0); else undefined. */
function emptyCase(a: readonly string[], b: readonly string[]): number | undefined {
  if (a.length === 0 && b.length === 0) return 1;
  if (a.length === 0 || b.length === 0) return 0;
  return undefined;
}

/**
 * Token F1 of `answer` against `reference`: the harmonic mean of precision and recall of the
 * words they share, counted as multisets (a word twice in both counts twice).
 */
export function tokenF1(answer: string, reference: string): number {
  return tokenF1Words(wordsOf(answer), wordsOf(reference));
}

export function tokenF1Words(a: readonly string[], b: readonly string[]): number {
  const empty = emptyCase(a, b);
  if (empty !== undefined) return empty;
  const counts = new Map<string, number>();
  for (const w of b) counts.set(w, (counts.get(w) ?? 0) + 1);
  let common = 0;
  for (const w of a) {
    const n = counts.get(w) ?? 0;
    if (n > 0) {
      common++;
      counts.set(w, n - 1);
    }
  }
  return f1(common, a.length, b.length);
}

/** Length of the longest common subsequence of two word lists (two rows of the DP table). */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  // Words as small integers: comparing numbers in the inner loop, not strings.
  const ids = new Map<string, number>();
  const idOf = (w: string) => {
    let id = ids.get(w);
    if (id === undefined) {
      id = ids.size;
      ids.set(w, id);
    }
    return id;
  };
  const x = Int32Array.from(a, idOf);
  const y = Int32Array.from(b, idOf);
  let prev = new Int32Array(y.length + 1);
  let row = new Int32Array(y.length + 1);
  for (let i = 1; i <= x.length; i++) {
    const xi = x[i - 1] as number;
    for (let j = 1; j <= y.length; j++) {
      row[j] =
        xi === y[j - 1] ? (prev[j - 1] as number) + 1 : Math.max(prev[j] as number, row[j - 1] as number);
    }
    [prev, row] = [row, prev];
  }
  return prev[y.length] as number;
}

/** ROUGE-L F1 of `answer` against `reference` (beta 1). */
export function rougeL(answer: string, reference: string): number {
  return rougeLWords(wordsOf(answer), wordsOf(reference));
}

export function rougeLWords(a: readonly string[], b: readonly string[]): number {
  const empty = emptyCase(a, b);
  if (empty !== undefined) return empty;
  return f1(lcsLength(a, b), a.length, b.length);
}

/**
 * Default refusal patterns (case-insensitive), matched against the start of an answer
 * (its first 300 characters): the phrasing of common chat models' refusals.
 */
export const DEFAULT_REFUSAL_PATTERNS: readonly string[] = [
  "\\bI(?:'m| am) (?:sorry|afraid)\\b",
  "\\bI (?:can(?:'|no)t|cannot|won't|will not|am unable to|'m unable to|am not able to) (?:help|assist|provide|comply|do that|answer|fulfil)",
  '\\bas an AI\\b',
  "\\bI(?:'m| am) not able to (?:help|assist)",
  '\\bunable to (?:help|assist|comply) with (?:that|this)',
];

/** Compiles refusal patterns once (case-insensitive, Unicode). */
export function refusalMatcher(
  patterns: readonly string[] = DEFAULT_REFUSAL_PATTERNS,
): (text: string) => boolean {
  const regexes = patterns.map((p) => new RegExp(p, 'iu'));
  return (text) => {
    const head = text.length > 300 ? text.slice(0, 300) : text;
    return regexes.some((r) => r.test(head));
  };
}

/** Cosine similarity of two vectors of one length; 0 when either has no length. */
export function cosine(u: readonly number[], v: readonly number[]): number {
  if (u.length !== v.length) throw new Error(`vectors of different lengths (${u.length} and ${v.length})`);
  let dot = 0;
  let nu = 0;
  let nv = 0;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] as number;
    const b = v[i] as number;
    dot += a * b;
    nu += a * a;
    nv += b * b;
  }
  if (nu === 0 || nv === 0) return 0;
  return dot / Math.sqrt(nu * nv);
}

/** FNV-1a of a string: the key that groups identical prompts (consistency), stable across threads. */
export function textKey(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
