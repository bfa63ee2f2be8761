/**
 * @module metrics/cost
 * What one request cost: its tokens times its model's price (metrics/prices).
 * The server's `usage` is billed when it reported one (cached prompt tokens at
 * the cached price); otherwise the client's token counts, and the record is
 * marked `costEstimated`. A failed request without usage is not charged
 * (providers do not bill a refused or failed request); a cancelled stream is
 * charged for what arrived.
 */

import { isModelKind, type RequestRecord } from '../core/index.js';
import { type ModelPrice, type PriceTable, priceOf } from './prices.js';

/** Tokens of one request as they are billed. */
export interface BilledTokens {
  /** Every prompt token, cached ones included (as OpenAI's `prompt_tokens`). */
  input: number;
  /** Of `input`, the ones served from the provider's prompt cache. */
  cached: number;
  output: number;
}

/** USD of `tokens` at `price` (per million tokens); cached prompt tokens at `cached_input` when it has one. */
export function costOf(price: ModelPrice, tokens: BilledTokens): number {
  const cached = Math.min(Math.max(0, tokens.cached), tokens.input);
  const cachedPrice = price.cached_input ?? price.input;
  return ((tokens.input - cached) * price.input + cached * cachedPrice + tokens.output * price.output) / 1e6;
}

/** The tokens a record is billed for, and whether they are the client's count; undefined: not charged. */
export function billedTokensOf(r: RequestRecord): (BilledTokens & { estimated: boolean }) | undefined {
  if (!isModelKind(r.kind)) return undefined;
  const server = r.inputTokens !== undefined || r.outputTokens !== undefined;
  if (!server && r.outcome === 'error') return undefined;
  const input = r.inputTokens ?? r.inputTokensClient ?? 0;
  const output = r.outputTokens ?? r.outputTokensClient ?? 0;
  const estimated =
    (r.inputTokens === undefined && input > 0) || (r.outputTokens === undefined && output > 0) || !server;
  return { input, cached: r.cachedInputTokens ?? 0, output, estimated };
}

/** Each table's lookups by model name (a run meets a few names, a record each time). */
const lookups = new WeakMap<PriceTable, Map<string, ModelPrice | null>>();

/** {@link priceOf}, remembered per table and name: it runs for every record on the worker's hot path. */
function cachedPrice(model: string, table: PriceTable): ModelPrice | undefined {
  let byName = lookups.get(table);
  if (byName === undefined) {
    byName = new Map();
    lookups.set(table, byName);
  }
  let price = byName.get(model);
  if (price === undefined) {
    price = priceOf(model, table)?.price ?? null;
    if (byName.size < 1000) byName.set(model, price);
  }
  return price ?? undefined;
}

/**
 * Sets `costUsd` (and `costEstimated`) on a model record whose model is in `table`; leaves a
 * record that is not charged, or whose model is not priced, without them. Returns the cost.
 */
export function priceRecord(r: RequestRecord, table: PriceTable): number | undefined {
  if (r.model === undefined) return undefined;
  const tokens = billedTokensOf(r);
  if (tokens === undefined) return undefined;
  const price = cachedPrice(r.model, table);
  if (price === undefined) return undefined;
  // Rounded to nano-dollars, so a JSON round trip and the histogram (metrics/histogram `usd`) agree.
  const cost = Math.round(costOf(price, tokens) * 1e9) / 1e9;
  r.costUsd = cost;
  if (tokens.estimated) r.costEstimated = true;
  return cost;
}
