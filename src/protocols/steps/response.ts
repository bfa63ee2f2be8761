/**
 * @module protocols/steps/response
 * `response:` steps: OpenAI's Responses API, `POST {target}/responses`,
 * streamed (SSE) by default; a model step. `input` is a string or a list of
 * input items (messages); `max_tokens` is sent as `max_output_tokens`.
 */
import { z } from 'zod';
import { responsesSink } from '../responses-sink.js';
import type { StepKindEntry } from '../step-kind.js';
import { modelParams, stepCommon } from './fields.js';
import { compileModelStep, eventTransport } from './model.js';
import { warmResponsesReplies } from './warm-apis.js';

export const ResponseBodySchema = z
  .strictObject({
    ...stepCommon,
    ...modelParams,
    instructions: z.string().optional(),
    input: z
      .union([z.string(), z.array(z.looseObject({})).min(1, { error: 'expected at least one item' })])
      .optional(),
  })
  .refine((s) => s.input !== undefined || s.synthetic !== undefined, {
    message: 'expected "input" (or "synthetic")',
    path: ['input'],
  });

export type ResponseBody = z.output<typeof ResponseBodySchema>;

const warmReply = warmResponsesReplies();

/** The input as the client counts it: instructions, then each item's text, joined by '\n'. */
function promptText(s: ResponseBody): string {
  const parts: string[] = [];
  if (s.instructions !== undefined) parts.push(s.instructions);
  if (typeof s.input === 'string') parts.push(s.input);
  else
    for (const item of s.input ?? []) {
      const content = (item as { content?: unknown }).content;
      if (typeof content === 'string') parts.push(content);
      else if (Array.isArray(content))
        parts.push(content.map((c) => String((c as { text?: unknown })?.text ?? '')).join(''));
    }
  return parts.join('\n');
}

function body(s: ResponseBody): string {
  const out: Record<string, unknown> = { model: s.model };
  if (s.instructions !== undefined) out.instructions = s.instructions;
  out.input = s.input;
  out.stream = s.stream;
  if (s.max_tokens !== undefined) out.max_output_tokens = s.max_tokens;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.top_p !== undefined) out.top_p = s.top_p;
  if (s.body !== undefined) Object.assign(out, s.body);
  return JSON.stringify(out);
}

export const responseStep: StepKindEntry<ResponseBody, 'response', typeof ResponseBodySchema> = {
  name: 'response',
  schema: ResponseBodySchema,
  summary: 'OpenAI Responses API (`POST {target}/responses`), SSE by default',
  model: true,
  defaultName: () => 'response',
  compile(s, index, defaults, inputTokens) {
    const compiled = compileModelStep(
      responseStep,
      s,
      { path: '/responses', input: 'prompt', value: s.input, text: promptText(s) },
      index,
      defaults,
      inputTokens,
    );
    compiled.body = body(s);
    return compiled;
  },
  transport: eventTransport(responsesSink),
  /** The prompt is the input (after a given string input); a shared prefix goes in `instructions`. */
  withPrompt(b, p) {
    const out: ResponseBody = { ...b };
    if (p.maxTokens !== undefined) out.max_tokens = p.maxTokens;
    if (p.prefix !== undefined) out.instructions = p.prefix;
    const own = b.input;
    if (Array.isArray(own)) out.input = [...own, { role: 'user', content: p.text }];
    else out.input = own !== undefined && own !== '' ? `${own} ${p.text}` : p.text;
    const tokens =
      own !== undefined || b.instructions !== undefined
        ? undefined
        : p.tokens + (p.prefixTokens > 0 ? p.prefixTokens + 1 : 0);
    return { body: out, tokens };
  },
  warmUp: {
    variant: (b) => (b.stream ? 'response' : 'response-json'),
    body: (variant) => ({ model: 'warm', input: 'warm up', stream: variant === 'response' }),
    answer: (method, url, b) => (method === 'POST' && url.endsWith('/responses') ? warmReply(b) : undefined),
  },
};
