/**
 * @module protocols/steps/fields
 * Zod fields shared by the step kinds' schemas: every step's common fields,
 * headers, and the generation parameters of model steps. Each kind keeps its
 * own schema in its file; `config/schema.ts` composes them.
 */
import { z } from 'zod';
import { durationMs } from '../../core/index.js';
import { modelWorkloadFields, stepWorkloadFields } from './workload-fields.js';

export const positiveInt = () =>
  z
    .number({ error: 'expected a positive whole number' })
    .int({ error: 'expected a positive whole number' })
    .positive({ error: 'expected a positive whole number' });

export const redirectCount = () =>
  z
    .number({ error: 'expected a number of redirects (a whole number, 0 or more)' })
    .int({ error: 'expected a number of redirects (a whole number, 0 or more)' })
    .min(0, { error: 'expected a number of redirects (a whole number, 0 or more)' });

/** RFC 9110 field names; values may not hold CR, LF or NUL (a request with one could never be sent). */
export const Headers = z.record(
  z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, {
    error: "expected a header name (letters, digits and !#$%&'*+-.^_`|~; no spaces or colons)",
  }),
  z.string({ error: 'expected a string header value' }).refine((v) => !/[\r\n\0]/.test(v), {
    error: 'expected a header value without CR, LF or NUL characters',
  }),
);

export const Message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z.union([z.string(), z.array(z.unknown()), z.null()]),
});

/** Fields every step may set. */
export const stepCommon = {
  /** Label used in records and reports; defaults to the step kind or method + path. */
  name: z.string().min(1).optional(),
  headers: Headers.optional(),
  /** Per-request timeout; the test's `timeout` when absent. */
  timeout: durationMs().optional(),
  /** Redirects followed; the test's `max_redirects` when absent. */
  max_redirects: redirectCount().optional(),
  ...stepWorkloadFields,
};

/** Generation parameters shared by chat and completion steps. */
export const modelParams = {
  model: z.string({ error: 'expected a model name' }).min(1),
  /** Stream with SSE (default true: TTFT and ITL need a stream). */
  stream: z.boolean().default(true),
  max_tokens: positiveInt().optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop: z.union([z.string(), z.array(z.string())]).optional(),
  seed: z.number().int().optional(),
  /** Extra body fields sent as they are (provider-specific parameters). */
  body: z.record(z.string(), z.unknown()).optional(),
  ...modelWorkloadFields,
};

/** What every model step's body has (a chat or completion step without its prompt). */
const ModelStepFields = z.strictObject({ ...stepCommon, ...modelParams });
export type ModelStepBody = z.output<typeof ModelStepFields>;

export const needsPrompt = (field: 'messages' | 'prompt') => ({
  message: `expected "${field}" (or "synthetic")`,
  path: [field],
});
