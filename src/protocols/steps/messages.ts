/**
 * @module protocols/steps/messages
 * `messages:` steps: Anthropic's Messages API, `POST {target}/messages`,
 * streamed (SSE) by default; a model step. Sends `anthropic-version` unless
 * the step or test sets it; the key goes in `x-api-key` (a secret header,
 * redacted everywhere).
 */
import { z } from 'zod';
import { anthropicSink } from '../anthropic-sink.js';
import type { StepKindEntry } from '../step-kind.js';
import { hasHeader } from './compile.js';
import { modelParams, positiveInt, stepCommon } from './fields.js';
import { compileModelStep, eventTransport } from './model.js';
import { warmMessagesReplies } from './warm-apis.js';

/** The API version sent when the test names none. */
export const ANTHROPIC_VERSION = '2023-06-01';

const AnthropicMessage = z.looseObject({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string(), z.array(z.unknown())]),
});

export const MessagesBodySchema = z
  .strictObject({
    ...stepCommon,
    ...modelParams,
    /** Anthropic requires it: 1024 when absent. */
    max_tokens: positiveInt().default(1024),
    system: z.union([z.string(), z.array(z.unknown())]).optional(),
    messages: z.array(AnthropicMessage).min(1, { error: 'expected at least one message' }).optional(),
  })
  .refine((s) => s.messages !== undefined || s.synthetic !== undefined, {
    message: 'expected "messages" (or "synthetic")',
    path: ['messages'],
  });

export type MessagesBody = z.output<typeof MessagesBodySchema>;

const warmReply = warmMessagesReplies();

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    const t = (part as { text?: unknown } | null)?.text;
    text += typeof t === 'string' ? t : JSON.stringify(part);
  }
  return text;
}

/** The prompt as the client counts it: system, then each message's content, joined by '\n'. */
function promptText(s: MessagesBody): string {
  const parts = (s.messages ?? []).map((m) => textOf(m.content));
  if (s.system !== undefined) parts.unshift(textOf(s.system));
  return parts.join('\n');
}

function body(s: MessagesBody): string {
  const out: Record<string, unknown> = { model: s.model, max_tokens: s.max_tokens };
  if (s.system !== undefined) out.system = s.system;
  out.messages = s.messages;
  out.stream = s.stream;
  if (s.temperature !== undefined) out.temperature = s.temperature;
  if (s.top_p !== undefined) out.top_p = s.top_p;
  if (s.stop !== undefined) out.stop_sequences = typeof s.stop === 'string' ? [s.stop] : s.stop;
  if (s.body !== undefined) Object.assign(out, s.body);
  return JSON.stringify(out);
}

export const messagesStep: StepKindEntry<MessagesBody, 'messages', typeof MessagesBodySchema> = {
  name: 'messages',
  schema: MessagesBodySchema,
  summary: 'Anthropic Messages API (`POST {target}/messages`), SSE by default',
  model: true,
  defaultName: () => 'messages',
  compile(s, index, defaults, inputTokens) {
    const compiled = compileModelStep(
      messagesStep,
      s,
      { path: '/messages', input: 'messages', value: s.messages, text: promptText(s) },
      index,
      defaults,
      inputTokens,
    );
    compiled.body = body(s);
    if (!hasHeader(compiled.headers, 'anthropic-version'))
      compiled.headers['anthropic-version'] = ANTHROPIC_VERSION;
    return compiled;
  },
  transport: eventTransport(anthropicSink),
  /** The prompt is a user message after any given `messages`; a shared prefix is the system prompt. */
  withPrompt(b, p) {
    const out: MessagesBody = { ...b };
    if (p.maxTokens !== undefined) out.max_tokens = p.maxTokens;
    const given = b.messages ?? [];
    if (p.prefix !== undefined) out.system = p.prefix;
    out.messages = [...given, { role: 'user', content: p.text }];
    const tokens =
      given.length > 0 || b.system !== undefined
        ? undefined
        : p.tokens + (p.prefixTokens > 0 ? p.prefixTokens + 1 : 0);
    return { body: out, tokens };
  },
  warmUp: {
    variant: (b) => (b.stream ? 'messages' : 'messages-json'),
    body: (variant) => ({
      model: 'warm',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'warm up' }],
      stream: variant === 'messages',
    }),
    answer: (method, url, b) => (method === 'POST' && url.endsWith('/messages') ? warmReply(b) : undefined),
  },
};
