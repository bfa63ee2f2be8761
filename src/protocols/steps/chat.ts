/**
 * @module protocols/steps/chat
 * `chat:` steps: an OpenAI-compatible `POST {target}/chat/completions`,
 * streamed (SSE) by default; a model step.
 */
import { z } from 'zod';
import type { StepKindEntry } from '../step-kind.js';
import { Message, modelParams, needsPrompt, stepCommon } from './fields.js';
import { compileModelStep, openAITransport, warmReplies } from './model.js';

export const ChatBodySchema = z
  .strictObject({
    ...stepCommon,
    ...modelParams,
    messages: z.array(Message).min(1, { error: 'expected at least one message' }).optional(),
  })
  .refine((s) => s.messages !== undefined || s.synthetic !== undefined, needsPrompt('messages'));

/** A session's `chat:` (its messages come from the turns). */
export const SessionChatSchema = z.strictObject({ ...stepCommon, ...modelParams });

export type ChatBody = z.output<typeof ChatBodySchema>;

/** The prompt as the client's tokenizer counts it: the messages' contents joined by '\n'. */
function promptText(step: ChatBody): string {
  const messages = step.messages ?? [];
  let text = '';
  for (let i = 0; i < messages.length; i++) {
    const content = (messages[i] as { content: unknown }).content;
    if (i > 0) text += '\n';
    // JSON.stringify(undefined) is undefined: an absent content counts as empty text.
    text += typeof content === 'string' ? content : (JSON.stringify(content) ?? '');
  }
  return text;
}

const reply = warmReplies(true);

export const chatStep: StepKindEntry<ChatBody, 'chat', typeof ChatBodySchema> = {
  name: 'chat',
  schema: ChatBodySchema,
  summary: 'OpenAI-compatible chat completion (`POST {target}/chat/completions`), SSE by default',
  model: true,
  defaultName: () => 'chat',
  compile(s, index, defaults, inputTokens) {
    return compileModelStep(
      chatStep,
      s,
      { path: '/chat/completions', input: 'messages', value: s.messages, text: promptText(s) },
      index,
      defaults,
      inputTokens,
    );
  },
  transport: openAITransport,
  /** The prompt is a user message after any given `messages`; a shared prefix is a system message. */
  withPrompt(body, p) {
    const out: ChatBody = { ...body };
    if (p.maxTokens !== undefined) out.max_tokens = p.maxTokens;
    const given = body.messages ?? [];
    out.messages = [
      ...(p.prefix === undefined ? [] : [{ role: 'system' as const, content: p.prefix }]),
      ...given,
      { role: 'user', content: p.text },
    ];
    // Messages are counted joined by '\n', a token of its own between two words.
    const tokens = given.length > 0 ? undefined : p.tokens + (p.prefixTokens > 0 ? p.prefixTokens + 1 : 0);
    return { body: out, tokens };
  },
  warmUp: {
    variant: (body) => (body.stream ? 'chat' : 'chat-json'),
    body: (variant) => ({
      model: 'warm',
      messages: [{ role: 'user', content: 'warm up' }],
      stream: variant === 'chat',
    }),
    answer: (method, url, body) =>
      // A request with tools is an agent's model call (agent.ts answers it).
      method === 'POST' && url.endsWith('/chat/completions') && !body.includes('"tools":')
        ? reply(body)
        : undefined,
  },
};
