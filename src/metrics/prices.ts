/**
 * @module metrics/prices
 * The price table shipped with tokenstorm: USD per million tokens (input,
 * cached input, output) of common hosted models, each with the page it was
 * read from and the date. A test's `pricing:` overrides and extends it. Why
 * here: a worker prices each record as it is made (budget caps) and a rebuild
 * from records.jsonl must price the same way.
 *
 * Only prices that were confirmed are listed; a model that is not here is
 * unpriced (its requests are counted, their cost is not, and the summary says
 * so), never priced at 0. Open-model hosts (Together, Groq, Fireworks, …)
 * price the same weights differently per host: give those in `pricing:`.
 */

/** A model's price, USD per million tokens. `cached_input` absent: cached prompt tokens cost `input`. */
export interface ModelPrice {
  input: number;
  cached_input?: number | undefined;
  output: number;
  /** Where the figures were read. */
  source?: string | undefined;
  /** When (YYYY-MM-DD). */
  read?: string | undefined;
  /** A caveat, e.g. a tier above a prompt length. */
  note?: string | undefined;
}

export type PriceTable = Readonly<Record<string, ModelPrice>>;

const READ = '2026-12-07';
const OPENAI =
  'https://developers.openai.com/api/docs/pricing (as quoted by chatgptpricing-akr.pages.dev/api-pricing and github/docs data/tables/copilot/models-and-pricing.yml)';
const OPENAI_41_MINI =
  'https://tokenmath.io/openai-api-pricing-explained (OpenAI model pricing, checked 2026-06-21)';
const ANTHROPIC = 'https://docs.anthropic.com/en/docs/about-claude/pricing (cache hits as cached input)';
const ANTHROPIC_NEW = 'https://platform.claude.com/docs/en/about-claude/pricing (cache hits as cached input)';
const ANTHROPIC_45 =
  'https://deploybase.ai/articles/claude-api-pricing and clawcost-landing.pages.dev/blog/claude-api-cost-breakdown (cache price not confirmed)';
const GOOGLE =
  'https://ai.google.dev/gemini-api/docs/pricing (as quoted by morphllm.com/gemini-api-pricing and deploybase.ai/articles/gemini-2.5-pricing)';

function entry(input: number, cached: number | undefined, output: number, source: string, note?: string) {
  const price: ModelPrice = { input, output, source, read: READ };
  if (cached !== undefined) price.cached_input = cached;
  if (note !== undefined) price.note = note;
  return price;
}

/** The built-in table (USD per million tokens), keyed by the model name an API reports. */
export const BUILTIN_PRICES: PriceTable = Object.freeze({
  'gpt-4o': entry(2.5, 1.25, 10, OPENAI),
  'gpt-4o-mini': entry(0.15, 0.075, 0.6, OPENAI),
  'gpt-4.1': entry(2, 0.5, 8, OPENAI),
  'gpt-4.1-mini': entry(0.4, undefined, 1.6, OPENAI_41_MINI),
  'gpt-5': entry(1.25, undefined, 10, OPENAI, 'cached-input price not confirmed (sources disagree)'),
  'gpt-5-mini': entry(0.25, undefined, 2, OPENAI, 'cached-input price not confirmed (sources disagree)'),
  'claude-opus-4-6': entry(5, 0.5, 25, ANTHROPIC_NEW),
  'claude-opus-4-5': entry(5, 0.5, 25, ANTHROPIC_NEW),
  'claude-opus-4-1': entry(15, 1.5, 75, ANTHROPIC),
  'claude-opus-4': entry(15, 1.5, 75, ANTHROPIC),
  'claude-sonnet-4-5': entry(3, undefined, 15, ANTHROPIC_45),
  'claude-sonnet-4': entry(3, 0.3, 15, ANTHROPIC, 'prompts over 200K tokens: $6 input, $22.50 output'),
  'claude-3-7-sonnet': entry(3, 0.3, 15, ANTHROPIC),
  'claude-haiku-4-5': entry(1, undefined, 5, ANTHROPIC_45),
  'claude-3-5-haiku': entry(0.8, 0.08, 4, ANTHROPIC),
  'claude-3-haiku': entry(0.25, 0.03, 1.25, ANTHROPIC),
  'gemini-2.5-pro': entry(
    1.25,
    undefined,
    10,
    GOOGLE,
    'prompts up to 200K tokens; above: $2.50 input, $15 output',
  ),
  'gemini-2.5-flash': entry(0.3, undefined, 2.5, GOOGLE),
  'gemini-2.5-flash-lite': entry(0.1, undefined, 0.4, GOOGLE),
  'gemini-2.0-flash': entry(0.1, undefined, 0.4, GOOGLE),
});

/** A provider prefix of a gateway's model name: `openai/gpt-4o`, `anthropic/claude-…`, `models/gemini-…`. */
const PREFIX = /^[a-z0-9_.-]+\//i;
/** A dated snapshot suffix: `-2024-07-18`, `-20250514`, `@20240620`, `-latest`. */
const SUFFIX = /(?:[-@](?:\d{4}-\d{2}-\d{2}|\d{8})|-latest)$/;

/** The table's price of `model`: its exact name, else without a provider prefix or a dated suffix. */
export function priceOf(model: string, table: PriceTable): { model: string; price: ModelPrice } | undefined {
  const tries = [model];
  const bare = model.replace(PREFIX, '');
  tries.push(bare, bare.replace(SUFFIX, ''), model.replace(SUFFIX, ''));
  for (const name of tries) {
    if (Object.hasOwn(table, name)) return { model: name, price: table[name] as ModelPrice };
  }
  return undefined;
}

/** The built-in table with the test's `pricing:` entries over it (an entry replaces a model's whole price). */
export function priceTableOf(pricing: Readonly<Record<string, ModelPrice>> | undefined): PriceTable {
  if (pricing === undefined) return BUILTIN_PRICES;
  return { ...BUILTIN_PRICES, ...pricing };
}
