/**
 * @module protocols/steps/completion
 * `completion:` steps: an OpenAI-compatible `POST {target}/completions` (legacy
 * text completions), streamed (SSE) by default; a model step.
 */
import { z } from 'zod';
import type { StepKindEntry } from '../step-kind.js';
import { modelParams, needsPrompt, stepCommon } from './fields.js';
import { compileModelStep, openAITransport, warmReplies } from './model.js';

export const CompletionBodySchema = z
  .strictObject({ ...stepCommon, ...modelParams, prompt: z.string().optional() })
  .refine((s) => s.prompt !== undefined || s.synthetic !== undefined, needsPrompt('prompt'));

export type CompletionBody = z.output<typeof CompletionBodySchema>;

const reply = warmReplies(false);

export const completionStep: StepKindEntry<CompletionBody, 'completion', typeof CompletionBodySchema> = {
  name: 'completion',
  schema: CompletionBodySchema,
  summary: 'OpenAI-compatible text completion (`POST {target}/completions`), SSE by default',
  model: true,
  defaultName: () => 'completion',
  compile(s, index, defaults, inputTokens) {
    return compileModelStep(
      completionStep,
      s,
      { path: '/completions', input: 'prompt', value: s.prompt, text: s.prompt ?? '' },
      index,
      defaults,
      inputTokens,
    );
  },
  transport: openAITransport,
  /** The prompt follows the shared prefix and any given `prompt`, joined by spaces. */
  withPrompt(body, p) {
    const out: CompletionBody = { ...body };
    if (p.maxTokens !== undefined) out.max_tokens = p.maxTokens;
    const own = body.prompt;
    const parts = [p.prefix, own, p.text].filter((x) => x !== undefined && x !== '');
    out.prompt = parts.join(' ');
    // Words joined by spaces: each word after a space is still one token.
    return { body: out, tokens: own !== undefined && own !== '' ? undefined : p.tokens + p.prefixTokens };
  },
  warmUp: {
    variant: (body) => (body.stream ? 'completion' : 'completion-json'),
    body: (variant) => ({ model: 'warm', prompt: 'warm up', stream: variant === 'completion' }),
    answer: (method, url, body) =>
      method === 'POST' && url.endsWith('/completions') ? reply(body) : undefined,
  },
};
