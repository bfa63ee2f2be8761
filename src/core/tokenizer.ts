/**
 * @module core/tokenizer
 * gpt-tokenizer (o200k_base), loaded on first use and shared by every caller
 * in a thread: the client's count, synthetic prompts and the mock. Why lazy:
 * evaluating the package builds its byte-pair tables (~0.4 s of CPU and tens
 * of MB per thread), which the coordinator, a `validate` or a `report` never
 * need. One loader (the package's CommonJS build, required synchronously) so
 * that a thread never holds two copies of the tables.
 */
import { createRequire } from 'node:module';

export type Tokenizer = typeof import('gpt-tokenizer');

let loaded: Tokenizer | undefined;

/** The tokenizer module; the first call in a thread loads it. */
export function tokenizer(): Tokenizer {
  if (loaded === undefined) loaded = createRequire(import.meta.url)('gpt-tokenizer') as Tokenizer;
  return loaded;
}

/** Whether this thread has loaded the tokenizer (start-up tests check that it has not). */
export function tokenizerLoaded(): boolean {
  return loaded !== undefined;
}
