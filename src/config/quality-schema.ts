/**
 * @module config/quality-schema
 * The test's `quality:` block (docs/quality.md): how answer quality is judged
 * (measure, how large a fall counts, samples a stage needs), and the optional
 * after-run scorers: an OpenAI-compatible embeddings endpoint (cosine to the
 * reference) and a judge model grading a sample of answers with a rubric.
 * A step's own `quality:` (reference, refusal patterns) is in protocols/steps/fields.
 */
import { z } from 'zod';
import { durationMs } from '../core/index.js';
import { HeadersSchema } from '../protocols/index.js';

/** Where an after-run scorer is: an OpenAI-compatible base URL (`…/v1`) or `mock` (the embedded mock). */
const scorerEndpoint = {
  url: z.union([
    z.literal('mock'),
    z.url({ protocol: /^https?$/, error: 'expected "mock" or an http(s) URL' }),
  ]),
  model: z.string({ error: 'expected a model name' }).min(1),
  /** An environment variable holding the API key, sent as `Authorization: Bearer …` (never written anywhere). */
  api_key_env: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
    .optional(),
  headers: HeadersSchema.optional(),
  timeout: durationMs().default(30_000),
  /** Calls in flight at once. */
  concurrency: z.number().int().min(1).max(64).default(4),
};

export const DEFAULT_JUDGE_RUBRIC =
  'Grade how well the answer matches the reference answer in meaning and correctness, from 1 (wrong or unrelated) to 5 (fully correct and complete). Reply with "Score: N" and nothing else.';

export const QualityTestSchema = z
  .strictObject({
    /** What `similarity` (and the `quality.similarity` threshold) is: ROUGE-L, token F1, or cosine of embeddings. */
    measure: z.enum(['rouge_l', 'f1', 'cosine']).default('rouge_l'),
    /** A stage's quality falls when similarity drops (or refusal/truncation rates rise) by more than this. */
    drop: z.number().min(0).max(1).default(0.1),
    /** Quality samples a stage needs to be judged. */
    min_samples: z.number().int().min(1).default(5),
    /** Cosine similarity of each answer to its reference, from an embeddings endpoint after the run. */
    embeddings: z
      .strictObject({
        ...scorerEndpoint,
        /** Answers embedded at most (those whose text the run kept). */
        max: z.number().int().min(1).default(1000),
      })
      .optional(),
    /** A judge model grading a sample of answers after the run. */
    judge: z
      .strictObject({
        ...scorerEndpoint,
        rubric: z.string().min(1).default(DEFAULT_JUDGE_RUBRIC),
        /** Share of answers graded (chosen by a hash of the record id). */
        sample: z.number().gt(0).max(1).default(0.1),
        /** Answers graded at most. */
        max: z.number().int().min(1).default(100),
        /** The best grade: a stage's judge score falls by `drop × scale`. */
        scale: z.number().positive().default(5),
      })
      .optional(),
  })
  .refine((q) => q.measure !== 'cosine' || q.embeddings !== undefined, {
    message: 'measure "cosine" needs "embeddings"',
    path: ['measure'],
  });

export type QualityTest = z.output<typeof QualityTestSchema>;
