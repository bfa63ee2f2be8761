/**
 * @module protocols/tokens
 * The client's own token count (gpt-tokenizer, o200k_base), kept beside the
 * server's `usage` so a disagreement is visible.
 */
import { countTokens as count } from 'gpt-tokenizer';

/** Tokens in `text` by the client's tokenizer. */
export function countTokens(text: string): number {
  return text === '' ? 0 : count(text);
}
