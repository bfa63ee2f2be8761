/**
 * @module protocols/steps/checks-schema
 * The `checks:` block of a model step (chat, completion, a session's chat):
 * verdicts on each answer (text, JSON, JSON Schema, finish reason, output
 * length, per-request latency) and, in TypeScript tests, functions. Regexes and
 * JSON Schemas are compiled here once so a bad one is a bad test (exit 2, the
 * field path named) rather than a failure of every request.
 */
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ValidateFunction } from 'ajv';
import { z } from 'zod';

/** What a TypeScript check function gets: the answer and what was measured of it. */
export interface CheckAnswer {
  /** The answer text (content, reasoning and tool-call arguments, as received). */
  text: string;
  /** `choices[0].finish_reason` of the answer (`stop`, `length`, …), when it gave one. */
  finishReason: string | undefined;
  status: number | undefined;
  /** Output tokens: the server's count, else the client's. */
  outputTokens: number | undefined;
  ttftMs: number | undefined;
  e2eMs: number | undefined;
  tpotMs: number | undefined;
}

/** A TypeScript check: true (or nothing) passes; false or a string (the reason) fails; a throw fails with its message. */
export type CheckFunction = (answer: CheckAnswer) => boolean | string | undefined;

/** Built-in check names, in the order they run. */
export const BUILTIN_CHECKS = [
  'contains',
  'not_contains',
  'regex',
  'json',
  'json_schema',
  'finish_reason',
  'min_output_tokens',
  'max_output_tokens',
  'max_ttft_ms',
  'max_e2e_ms',
  'max_tpot_ms',
] as const;

export type BuiltinCheck = (typeof BUILTIN_CHECKS)[number];

const CHECK_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Compiled JSON Schemas by their JSON text (each in a validator of its own, so a schema's `$id`
 * never clashes with another's). A flow's `vu.chat({ checks })` is validated and compiled on
 * every call, and compiling a schema (code generation) costs far more than a request's other work.
 * @throws Error when the schema is invalid.
 */
export function compileJsonSchema(schema: object | boolean): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (validate === undefined) {
    // Loaded when a test has a json_schema check: every other run (and its coordinator) skips it.
    const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
    validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    if (validators.size >= MAX_VALIDATORS) validators.delete(validators.keys().next().value as string);
    validators.set(key, validate);
  }
  return validate;
}

const validators = new Map<string, ValidateFunction>();
const MAX_VALIDATORS = 64;

const strings = (what: string) =>
  z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], {
    error: `expected ${what} or a list of them`,
  });

const regexes = strings('a regular expression (JavaScript syntax)').superRefine((value, ctx) => {
  const list = typeof value === 'string' ? [value] : value;
  list.forEach((source, i) => {
    try {
      new RegExp(source);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        path: typeof value === 'string' ? [] : [i],
        input: source,
        message: `invalid regular expression ${JSON.stringify(source)}: ${(err as Error).message}`,
      });
    }
  });
});

const jsonSchema = z
  .union([z.record(z.string(), z.unknown()), z.boolean()], { error: 'expected a JSON Schema (an object)' })
  .superRefine((schema, ctx) => {
    try {
      compileJsonSchema(schema);
    } catch (err) {
      ctx.addIssue({
        code: 'custom',
        input: schema,
        message: `invalid JSON Schema: ${(err as Error).message}`,
      });
    }
  });

const tokens = () =>
  z
    .number({ error: 'expected a whole number of tokens (0 or more)' })
    .int({ error: 'expected a whole number of tokens (0 or more)' })
    .min(0, { error: 'expected a whole number of tokens (0 or more)' });

const millis = () => z.number({ error: 'expected milliseconds (a number above 0)' }).positive();

export const ChecksSchema = z
  .strictObject({
    /** Each text must appear in the answer. */
    contains: strings('a text').optional(),
    /** No text may appear in the answer. */
    not_contains: strings('a text').optional(),
    /** Each regular expression (JavaScript syntax) must match somewhere in the answer. */
    regex: regexes.optional(),
    /** The answer (trimmed; a ```json fence around it is allowed) parses as JSON. */
    json: z.literal(true, { error: 'expected true' }).optional(),
    /** The answer parses as JSON and is valid against this schema (ajv, draft-07 by default). */
    json_schema: jsonSchema.optional(),
    /** The answer's finish reason is this one (or one of these): `stop` fails a truncated (`length`) answer. */
    finish_reason: strings('a finish reason such as "stop"').optional(),
    min_output_tokens: tokens().optional(),
    max_output_tokens: tokens().optional(),
    /** Per-request SLOs: the answer's own TTFT, end-to-end time and TPOT. */
    max_ttft_ms: millis().optional(),
    max_e2e_ms: millis().optional(),
    max_tpot_ms: millis().optional(),
    /** TypeScript tests only: named functions of the answer, e.g. `{ polite: (a) => !a.text.includes('!') }`. */
    custom: z
      .record(
        z.string().regex(CHECK_NAME, { error: 'expected a check name (a word; dots and dashes allowed)' }),
        z.custom<CheckFunction>((v) => typeof v === 'function', {
          error: 'expected a function (answer) => boolean | string (TypeScript tests only)',
        }),
      )
      .optional(),
  })
  .superRefine((checks, ctx) => {
    for (const name of Object.keys(checks.custom ?? {})) {
      if ((BUILTIN_CHECKS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['custom', name],
          input: name,
          message: `"${name}" is a built-in check's name; give the function another`,
        });
      }
    }
    if (
      checks.min_output_tokens !== undefined &&
      checks.max_output_tokens !== undefined &&
      checks.min_output_tokens > checks.max_output_tokens
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['min_output_tokens'],
        input: checks.min_output_tokens,
        message: `expected at most max_output_tokens (${checks.max_output_tokens})`,
      });
    }
  });

export type Checks = z.output<typeof ChecksSchema>;
