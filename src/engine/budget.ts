/**
 * @module engine/budget
 * A test's `budget:` caps (USD, tokens, request attempts) enforced across
 * every worker: one shared array of counters, spent by each record as it is
 * made and reserved by each attempt before it is sent. An attempt whose worst
 * case would cross a cap is not sent and the run stops (exit 98), so what the
 * run spends stays under the cap with the requests in flight counted.
 *
 * An attempt's worst case: its prompt (the client's count) plus its step's
 * `max_tokens`, or, without one, twice the run's mean completion so far
 * (512 tokens before any completed), priced at the dearest of the model it
 * asks for and the models that answered so far (a router may answer with a
 * dearer one). With `max_tokens` set and usage that matches the client's
 * prompt count the cap holds exactly; without it, it holds as far as answers
 * stay within twice the mean (docs/cost.md).
 */

import type { RequestRecord } from '../core/index.js';
import { type ModelPrice, type PriceTable, priceOf } from '../metrics/index.js';
import type { CompiledStep } from '../protocols/index.js';
import type { RequestGate } from '../workload/index.js';

/** The caps of a test's `budget:`. */
export interface BudgetCaps {
  max_cost_usd?: number | undefined;
  max_tokens?: number | undefined;
  max_requests?: number | undefined;
}

/** Slots of the shared counters: spent and reserved nano-USD, tokens, attempts; completions and their output tokens. */
const COST = 0;
const TOKENS = 1;
const REQUESTS = 2;
const COMPLETIONS = 3;
const OUTPUT = 4;
const SLOTS = 5;
/** Completion tokens assumed of an attempt without `max_tokens` before any answer came back. */
export const FIRST_OUTPUT_GUESS = 512;

/** The shared counters, made once by the coordinator and handed to every worker. */
export function budgetBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(8 * SLOTS);
}

/** What one attempt reserves (besides itself as an attempt): nano-USD and tokens. */
interface Reservation {
  cost: bigint;
  tokens: bigint;
}

/**
 * A worker's view of the shared budget: the gate asked before each attempt, and `spend` for each
 * record. `onExceeded` is called once, with the reason, when an attempt is refused.
 */
export class Budget implements RequestGate {
  readonly #counters: BigInt64Array;
  readonly #caps: BudgetCaps;
  readonly #prices: PriceTable;
  readonly #onExceeded: (reason: string) => void;
  /** Reservations by number, until released. */
  readonly #held = new Map<number, Reservation>();
  #next = 1;
  #exceeded = false;
  /** The dearest price of a model that answered so far (a router may answer with a dearer model). */
  #dearest: ModelPrice | undefined;
  /** The model of the last record spent: most records repeat it, and its price is known. */
  #lastModel: string | undefined;

  constructor(
    buffer: SharedArrayBuffer,
    caps: BudgetCaps,
    prices: PriceTable,
    onExceeded: (reason: string) => void,
  ) {
    this.#counters = new BigInt64Array(buffer);
    this.#caps = caps;
    this.#prices = prices;
    this.#onExceeded = onExceeded;
  }

  /** Counts a record: its cost, its tokens, the attempt itself; learns the price of the model that answered. */
  spend(r: RequestRecord): void {
    const c = this.#counters;
    Atomics.add(c, REQUESTS, 1n);
    const input = r.inputTokens ?? r.inputTokensClient ?? 0;
    const output = r.outputTokens ?? r.outputTokensClient ?? 0;
    if (r.costUsd !== undefined || r.outcome !== 'error') Atomics.add(c, TOKENS, BigInt(input + output));
    if (r.costUsd !== undefined) Atomics.add(c, COST, BigInt(Math.round(r.costUsd * 1e9)));
    if (r.outcome === 'ok' && output > 0) {
      Atomics.add(c, COMPLETIONS, 1n);
      Atomics.add(c, OUTPUT, BigInt(output));
    }
    if (r.model !== undefined && r.model !== this.#lastModel) {
      this.#lastModel = r.model;
      const found = priceOf(r.model, this.#prices);
      if (found !== undefined && (this.#dearest === undefined || dearer(found.price, this.#dearest)))
        this.#dearest = found.price;
    }
  }

  admit(step: CompiledStep): number | undefined {
    if (this.#exceeded) return undefined;
    const c = this.#counters;
    const tokens = BigInt(this.#worstTokens(step));
    const cost = BigInt(Math.ceil(this.#worstCostUsd(step) * 1e9));
    const requests = Atomics.add(c, REQUESTS, 1n) + 1n;
    const usedTokens = Atomics.add(c, TOKENS, tokens) + tokens;
    const usedCost = Atomics.add(c, COST, cost) + cost;
    const over = this.#over(requests, usedTokens, usedCost);
    if (over !== undefined) {
      Atomics.sub(c, REQUESTS, 1n);
      Atomics.sub(c, TOKENS, tokens);
      Atomics.sub(c, COST, cost);
      this.#exceeded = true;
      this.#onExceeded(over);
      return undefined;
    }
    const id = this.#next++;
    this.#held.set(id, { cost, tokens });
    return id;
  }

  release(reservation: number): void {
    const held = this.#held.get(reservation);
    if (held === undefined) return;
    this.#held.delete(reservation);
    Atomics.sub(this.#counters, REQUESTS, 1n);
    Atomics.sub(this.#counters, TOKENS, held.tokens);
    Atomics.sub(this.#counters, COST, held.cost);
  }

  /** Spent plus reserved, across every worker. */
  used(): { costUsd: number; tokens: number; requests: number } {
    const c = this.#counters;
    return {
      costUsd: Number(Atomics.load(c, COST)) / 1e9,
      tokens: Number(Atomics.load(c, TOKENS)),
      requests: Number(Atomics.load(c, REQUESTS)),
    };
  }

  /** Which cap the counts cross, as a reason, or undefined. */
  #over(requests: bigint, tokens: bigint, costNano: bigint): string | undefined {
    const caps = this.#caps;
    if (caps.max_requests !== undefined && requests > BigInt(caps.max_requests))
      return `budget: the next request would exceed max_requests ${caps.max_requests}`;
    if (caps.max_tokens !== undefined && tokens > BigInt(caps.max_tokens))
      return `budget: the next request could exceed max_tokens ${caps.max_tokens} (${tokens} tokens spent or in flight)`;
    if (caps.max_cost_usd !== undefined && costNano > BigInt(Math.floor(caps.max_cost_usd * 1e9)))
      return `budget: the next request could exceed max_cost_usd ${caps.max_cost_usd} ($${(Number(costNano) / 1e9).toFixed(6)} spent or in flight)`;
    return undefined;
  }

  /** The prompt (client's count, else a guess from the body's length) and the most output the attempt may get. */
  #worstTokens(step: CompiledStep): number {
    if (step.model === undefined) return 0;
    const input = step.inputTokensClient ?? Math.ceil((step.body?.length ?? 0) / 2);
    return input + this.#worstOutput(step);
  }

  #worstOutput(step: CompiledStep): number {
    if (step.maxTokens !== undefined) return step.maxTokens;
    const n = Number(Atomics.load(this.#counters, COMPLETIONS));
    if (n === 0) return FIRST_OUTPUT_GUESS;
    return Math.ceil((2 * Number(Atomics.load(this.#counters, OUTPUT))) / n);
  }

  #worstCostUsd(step: CompiledStep): number {
    if (step.model === undefined) return 0;
    const asked = priceOf(step.model, this.#prices)?.price;
    const dearest = this.#dearest;
    const price =
      asked === undefined ? dearest : dearest === undefined || !dearer(dearest, asked) ? asked : dearest;
    if (price === undefined) return 0;
    const input = step.inputTokensClient ?? Math.ceil((step.body?.length ?? 0) / 2);
    return (input * price.input + this.#worstOutput(step) * price.output) / 1e6;
  }
}

function dearer(a: ModelPrice, b: ModelPrice): boolean {
  return a.input + a.output > b.input + b.output;
}
