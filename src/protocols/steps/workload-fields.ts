/**
 * @module protocols/steps/workload-fields
 * The workload fields a step carries in the test file: `capture` on every step
 * and `synthetic` on model steps. They are part of each step kind's schema, so
 * they live beside the kinds; the runtime behind them (captures, prompt
 * synthesis) is in workload/.
 */
import { z } from 'zod';
import { DistributionSchema } from '../../random/index.js';
import { compileJsonPath } from '../json-path.js';

const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkJsonPath(path: string, ctx: z.RefinementCtx): void {
  try {
    compileJsonPath(path);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message, input: path });
  }
}

function checkRegex(source: string, ctx: z.RefinementCtx): void {
  try {
    new RegExp(source);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: `invalid regex: ${(err as Error).message}`, input: source });
  }
}

/**
 * Where a captured value comes from: `json` (a JSONPath on the body; on a chat
 * step, on the reply text parsed as JSON), `regex` (first match, `group`
 * default 1 or the whole match when the regex has no group), `header` or `cookie`.
 */
export const CaptureSchema = z
  .strictObject({
    json: z.string().min(1).superRefine(checkJsonPath).optional(),
    regex: z.string().min(1).superRefine(checkRegex).optional(),
    group: z.number().int().nonnegative().optional(),
    header: z.string().min(1).optional(),
    cookie: z.string().min(1).optional(),
  })
  .refine((c) => [c.json, c.regex, c.header, c.cookie].filter((s) => s !== undefined).length === 1, {
    message: 'expected exactly one of "json", "regex", "header" or "cookie"',
  });

/** `capture: { token: { json: $.token }, csrf: { header: x-csrf-token } }` → `{{ vars.token }}`. */
export const CapturesSchema = z.record(
  z.string().regex(VARIABLE, { error: 'expected a variable name (letters, digits, _)' }),
  CaptureSchema,
);

/** Fields every step may set (spread into `stepCommon`). */
export const stepWorkloadFields = {
  /** Values to extract from the response into `vars` for later steps. */
  capture: CapturesSchema.optional(),
};

/** Token counts read from one column of a CSV file (e.g. the Azure LLM trace's `ContextTokens`). */
export const EmpiricalSchema = z.strictObject({
  dist: z.literal('empirical'),
  /** A CSV file with a header row; a relative path is relative to the test file. */
  file: z.string().min(1),
  column: z.string().min(1),
});

/** A token count taken from the replayed trace row of the iteration (`executor: trace`). */
export const FromTraceSchema = z.strictObject({
  from: z.string().regex(/^trace\.[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'expected "trace.<field>", e.g. "trace.input_tokens"',
  }),
});

/** A token count: a number, a distribution, an empirical column, or a field of the replayed trace. */
export const TokenCountSchema = z.union([DistributionSchema, EmpiricalSchema, FromTraceSchema], {
  error:
    'expected a token count, a distribution ({ dist: uniform|normal|lognormal|exponential|constant, … }), { dist: empirical, file, column } or { from: trace.<field> }',
});

/**
 * Synthetic prompts of a target length in tokens (exact by gpt-tokenizer), for
 * chat and completion steps. On a chat step the prompt is a user message after
 * any given `messages`; a shared prefix is a system message.
 */
export const SyntheticSchema = z.strictObject({
  prompt_tokens: TokenCountSchema,
  /** `max_tokens` drawn per request; when both are empirical from one file, from the same row. */
  max_tokens: TokenCountSchema.optional(),
  /** K groups, each sharing a system prompt of P tokens (prefix caching). */
  shared_prefix: z
    .strictObject({
      groups: z.number().int().positive(),
      tokens: z.number().int().positive(),
    })
    .optional(),
});

/** Generation fields shared by chat and completion steps (spread into `modelParams`). */
export const modelWorkloadFields = {
  synthetic: SyntheticSchema.optional(),
};
