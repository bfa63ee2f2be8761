/**
 * @module config/cost-schema
 * The cost sections of a test: `pricing:` (USD per million tokens, over the
 * table shipped in metrics/prices), `budget:` (caps that stop the run) and
 * `plan:` (capacity planning). Kept apart from schema.ts so the cost feature's
 * fields and their descriptions sit together.
 */
import { z } from 'zod';

const usdPerMillion = (what: string) =>
  z
    .number({ error: `expected ${what} in USD per million tokens (a number >= 0)` })
    .nonnegative({ error: `expected ${what} in USD per million tokens (a number >= 0)` })
    .max(1_000_000, { error: `expected ${what} in USD per million tokens (at most 1,000,000)` });

/** One model's price: USD per million tokens. */
export const ModelPriceSchema = z
  .strictObject({
    /** USD per million prompt tokens. */
    input: usdPerMillion('input').describe('USD per million prompt (input) tokens'),
    /** USD per million prompt tokens served from the provider's prompt cache; absent: `input`. */
    cached_input: usdPerMillion('cached_input')
      .optional()
      .describe("USD per million prompt tokens served from the provider's cache (default: input)"),
    /** USD per million completion (output) tokens, reasoning tokens included. */
    output: usdPerMillion('output').describe('USD per million completion (output) tokens'),
    /** Where the price was read (shown in the summary). */
    source: z.string().optional().describe('where the price was read'),
  })
  .describe('a model price, USD per million tokens');

/** `pricing:` model name → price; an entry replaces the shipped price of that model, or adds one. */
export const PricingSchema = z
  .record(z.string().min(1, { error: 'expected a model name' }), ModelPriceSchema)
  .describe(
    'prices by model name (as the API reports it), USD per million tokens; over the table shipped with tokenstorm',
  );

const positive = (what: string) =>
  z
    .number({ error: `expected ${what}: a positive number` })
    .positive({ error: `expected ${what}: a positive number` });

/** `budget:` caps: the run stops (exit 98) before one would be crossed, counting requests in flight. */
export const BudgetSchema = z
  .strictObject({
    /** Most USD the run may spend (by the price table). */
    max_cost_usd: positive('max_cost_usd (USD)').optional().describe('most USD the run may spend'),
    /** Most tokens (prompt + completion) the run may use. */
    max_tokens: positive('max_tokens (prompt + completion tokens)')
      .int({ error: 'expected max_tokens: a whole number' })
      .optional()
      .describe('most prompt + completion tokens the run may use'),
    /** Most request attempts the run may send. */
    max_requests: positive('max_requests')
      .int({ error: 'expected max_requests: a whole number' })
      .optional()
      .describe('most request attempts the run may send'),
  })
  .refine((b) => b.max_cost_usd !== undefined || b.max_tokens !== undefined || b.max_requests !== undefined, {
    error: 'expected at least one of max_cost_usd, max_tokens, max_requests',
  })
  .describe('caps that stop the run before they are crossed (exit 98)');

/** `plan:` what capacity the measured run implies for a target load. */
export const PlanSchema = z
  .strictObject({
    /** The load to plan for, requests per second. */
    target_rps: positive('target_rps (requests per second)').describe('the load to plan for, requests/s'),
    /** Spare capacity kept on top of the target: 0.3 plans for 130 % of it (default 0.2). */
    headroom: z
      .number({ error: 'expected headroom: a fraction >= 0, e.g. 0.2 for 20 %' })
      .min(0, { error: 'expected headroom: a fraction >= 0, e.g. 0.2 for 20 %' })
      .max(10, { error: 'expected headroom: a fraction of at most 10' })
      .default(0.2)
      .describe('spare capacity on top of the target, as a fraction (default 0.2)'),
    /** USD an hour of one replica (the target served by the measured system). */
    replica_cost_per_hour: z
      .number({ error: 'expected replica_cost_per_hour: USD, a number >= 0' })
      .nonnegative({ error: 'expected replica_cost_per_hour: USD, a number >= 0' })
      .optional()
      .describe('USD an hour of one replica of the system under test'),
    /** Requests/s one replica sustains; absent: the sweep's capacity, else the run's goodput. */
    replica_rps: positive('replica_rps (requests per second)')
      .optional()
      .describe("requests/s one replica sustains (default: the sweep's capacity, else the run's goodput)"),
  })
  .describe('capacity planning for a target load');
