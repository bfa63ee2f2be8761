/**
 * @module sim/mock-profile
 * How the mock LLM server behaves: its timing, answer lengths, seed and model
 * names, and the optional sections that make it act like an inference server
 * (`engine`, `cache`) and a provider (`rate_limits`, `faults`). Every field has
 * a default or is optional, so `{}` (or an empty file) is a valid profile.
 */
import { z } from 'zod';
import { loadYamlWith, parseWith } from '../core/index.js';
import { DistributionSchema } from '../random/index.js';
import { AgentProfileSchema } from './mock-agent.js';
import { SimDurationSchema } from './sim-duration.js';

const nonNegative = z.number().nonnegative();
const positiveInt = () =>
  z
    .number({ error: 'expected a positive whole number' })
    .int({ error: 'expected a positive whole number' })
    .positive({ error: 'expected a positive whole number' });

/**
 * Continuous batching, as a GPU inference server does it: one engine step loop
 * where every step emits one token for each running request and prefills the
 * requests admitted in it. A step lasts
 * `step_ms + step_ms_per_running × running + Σ (prefill_ms + prefill_ms_per_token × prompt tokens)`
 * over the requests admitted in that step, so inter-token latency grows with the batch.
 */
export const EngineProfileSchema = z.strictObject({
  /** Decode slots: requests running at once (vLLM's `max_num_seqs`). */
  slots: positiveInt().default(16),
  /** Duration of a decode step with an empty batch. */
  step_ms: nonNegative.default(8),
  /** Added to every step per running request. */
  step_ms_per_running: nonNegative.default(0.25),
  /** Fixed cost of prefilling one request, added to the step that admits it. */
  prefill_ms: nonNegative.default(2),
  /** Prefill cost per prompt token not served from the prefix cache. */
  prefill_ms_per_token: nonNegative.default(0.02),
  /** KV-cache budget in tokens (prompt + generated); unlimited when absent. */
  kv_cache_tokens: positiveInt().optional(),
  /**
   * false: a request reserves prompt + full answer when admitted, so it never
   * has to leave. true: KV grows a token per step and, when it runs out, the
   * newest running request is preempted back to the queue (recomputed later), as vLLM does.
   */
  preemption: z.boolean().default(false),
  /** Requests allowed to wait for a slot; beyond it they are refused with `queue_full_status`. */
  max_waiting: z.number().int().nonnegative().optional(),
  queue_full_status: z.union([z.literal(429), z.literal(503)], { error: 'expected 429 or 503' }).default(503),
});

/** Prefix or whole-response cache; a response says `x-mock-cache: hit|miss`. */
export const CacheProfileSchema = z.strictObject({
  /**
   * `prefix`: leading prompt blocks seen before skip prefill (vLLM's automatic
   * prefix caching). `response`: a prompt seen before is answered at once.
   */
  mode: z.enum(['prefix', 'response']).default('prefix'),
  /** Tokens per cached block (prefix mode). */
  block_tokens: positiveInt().default(16),
  /** Entries kept (blocks or responses), least recently used evicted first. */
  max_entries: positiveInt().default(10_000),
});

/** OpenAI-style limits over fixed windows counted from server start. */
export const RateLimitProfileSchema = z
  .strictObject({
    /** Requests allowed per window. */
    requests: positiveInt().optional(),
    /** Tokens (prompt + answer) allowed per window. */
    tokens: positiveInt().optional(),
    /** Default one minute: the limits are then requests and tokens per minute. */
    window: SimDurationSchema.default('60s'),
    /**
     * Latency drift before the limit: from usage `from` (share of a limit used
     * in the window) up to the limit, the first token is delayed by up to `max_delay_ms`.
     */
    drift: z
      .strictObject({
        from: z.number().min(0).max(0.99).default(0.8),
        max_delay_ms: nonNegative,
      })
      .optional(),
  })
  .refine((r) => r.requests !== undefined || r.tokens !== undefined, {
    message: 'expected "requests" or "tokens" (or both)',
    path: ['requests'],
  });

export const FAULT_KINDS = ['error_rate', 'latency', 'stall', 'cut', 'error_event', 'outage'] as const;

/** A fault active from `at` for `for` after the server started. */
export const MockFaultSchema = z.strictObject({
  at: SimDurationSchema,
  for: SimDurationSchema,
  kind: z.enum(FAULT_KINDS, {
    error: `expected one of ${FAULT_KINDS.map((k) => JSON.stringify(k)).join(', ')}`,
  }),
  /** Share of requests hit while the fault is active. */
  rate: z.number().min(0).max(1).default(1),
  /** error_rate (default 500) and outage (default 503): the status answered (529: Anthropic's "overloaded"). */
  status: z.number().int().min(400).max(599).optional(),
  /** error_rate and outage: a `Retry-After` header with the answer, in seconds (fractions kept). */
  retry_after: SimDurationSchema.optional(),
  /** latency: added before the first token. */
  delay_ms: DistributionSchema.default(1000),
  /**
   * stall, cut and error_event: output tokens sent before the stream stops, the connection
   * drops, or the stream ends with the API's error event (Anthropic: `overloaded_error`).
   */
  after_tokens: z.number().int().nonnegative().default(1),
});

const rate = () => z.number().min(0).max(1).default(0);

/**
 * Answers degrade under load (docs/mock-server.md): while a request arrives with the server at or
 * above any `when` level, its answer is, at the given rates (drawn from the seed, in arrival
 * order), a refusal, invalid JSON, truncated (`finish_reason: length`) or shortened.
 */
export const DegradeProfileSchema = z
  .strictObject({
    when: z
      .strictObject({
        /** Answers in progress (any timing mode). */
        in_flight: positiveInt().optional(),
        /** Requests waiting for an engine slot; without `engine`, answers in progress. */
        queue_depth: z.number().int().nonnegative().optional(),
        /** Share of the engine's KV budget in use (needs `engine.kv_cache_tokens`). */
        kv_use: z.number().min(0).max(1).optional(),
      })
      .refine((w) => w.in_flight !== undefined || w.queue_depth !== undefined || w.kv_use !== undefined, {
        message: 'expected "in_flight", "queue_depth" or "kv_use"',
      }),
    refusal: rate(),
    invalid_json: rate(),
    truncate: rate(),
    shorten: rate(),
    /** Share of the answer's tokens a truncated answer keeps. */
    truncate_to: z.number().gt(0).max(1).default(0.5),
    /** Share of the answer's tokens a shortened answer keeps (it still ends with `stop`). */
    shorten_to: z.number().gt(0).max(1).default(0.3),
    refusal_text: z.string().min(1).default("I'm sorry, but I can't help with that request right now."),
  })
  .refine((d) => d.refusal + d.invalid_json + d.truncate + d.shorten <= 1 + 1e-9, {
    message: 'refusal + invalid_json + truncate + shorten must be at most 1',
    path: ['refusal'],
  });

const ReferencePair = z.strictObject({ prompt: z.string(), answer: z.string() });

/**
 * Answers from a reference set: a prompt (or a chat whose last message is it) gets its answer,
 * so a similarity to the same reference measures something true. A list, or `{ file }`: JSON
 * (an array) or JSONL of `{ prompt, answer }`, relative to the working directory.
 */
export const AnswersProfileSchema = z.union([
  z.array(ReferencePair).min(1),
  z.strictObject({ file: z.string().min(1) }),
]);

/** A mock server profile, as written in a YAML/JSON file or passed to `startMockServer`. */
export const MockProfileSchema = z.strictObject({
  /** Seeds the answers (with a hash of the prompt) and the timing draws. */
  seed: z.number().int().default(42),
  /** Milliseconds from the request's arrival to its first content token. */
  ttft_ms: DistributionSchema.default(50),
  /** Milliseconds between consecutive tokens, drawn per gap. */
  itl_ms: DistributionSchema.default(10),
  /** Tokens per answer (rounded, at least 1), capped by the request's `max_tokens`. */
  output_tokens: DistributionSchema.default(64),
  /**
   * A reasoning model: tokens of reasoning (rounded; none when absent) streamed as
   * `reasoning_content` deltas before the answer of a chat request, at the same pace, and
   * counted in `usage.completion_tokens` and `completion_tokens_details.reasoning_tokens`.
   */
  reasoning_tokens: DistributionSchema.optional(),
  /** Names listed by `GET /v1/models`; requests may name any model, which is echoed. */
  models: z
    .array(z.string().min(1))
    .min(1)
    .default(() => ['mock-model']),
  /** Inference-server simulation; when set it replaces `ttft_ms` and `itl_ms`. */
  engine: EngineProfileSchema.optional(),
  cache: CacheProfileSchema.optional(),
  rate_limits: RateLimitProfileSchema.optional(),
  faults: z.array(MockFaultSchema).optional(),
  /** Answers from a reference set instead of generated words (see {@link AnswersProfileSchema}). */
  answers: AnswersProfileSchema.optional(),
  /** Answers that degrade under load (see {@link DegradeProfileSchema}). */
  degrade: DegradeProfileSchema.optional(),
  /** A chat request with `tools` is answered as an agent's model (sim/mock-agent.ts); defaults apply when absent. */
  agent: AgentProfileSchema.optional(),
  /** `tokenstorm mock` processes sharing the port; each is a replica with its own slots and limits. */
  workers: z.number().int().min(1).max(64).optional(),
});

/** A validated profile with every default filled in. */
export type MockProfile = z.infer<typeof MockProfileSchema>;
/** A profile as a user writes it: every field optional. */
export type MockProfileInput = z.input<typeof MockProfileSchema>;
export type EngineProfile = z.infer<typeof EngineProfileSchema>;
export type CacheProfile = z.infer<typeof CacheProfileSchema>;
export type RateLimitProfile = z.infer<typeof RateLimitProfileSchema>;
export type MockFault = z.infer<typeof MockFaultSchema>;
export type DegradeProfile = z.infer<typeof DegradeProfileSchema>;
export type AnswersProfile = z.infer<typeof AnswersProfileSchema>;

/**
 * Validates a profile object; `source` names it in error messages.
 * @throws ConfigError naming the source, the field path and what was expected.
 */
export function parseMockProfile(input: unknown, source = 'mock profile'): MockProfile {
  return parseWith(MockProfileSchema, input, source);
}

/**
 * Reads a profile from a YAML or JSON file (YAML is a superset of JSON).
 * @throws ConfigError when the file is missing, unparsable or invalid.
 */
export async function loadMockProfile(file: string): Promise<MockProfile> {
  return loadYamlWith(MockProfileSchema, file, 'the profile');
}
