/**
 * @module sim/mock-openai
 * The OpenAI wire format as the mock speaks it: reading chat and completions
 * requests, and writing responses, stream chunks and error bodies.
 */

/** Which OpenAI endpoint a request came to. */
export type MockEndpoint = 'chat' | 'completion' | 'messages' | 'responses';

/** The parts of a request the mock acts on. */
export interface MockRequest {
  endpoint: MockEndpoint;
  /** Echoed in responses; the profile's first model when the request names none. */
  model: string;
  /** Chat: message contents joined with newlines. Completions: the prompt. */
  prompt: string;
  stream: boolean;
  /** `stream_options.include_usage`: send a final usage chunk. */
  includeUsage: boolean;
  /** `max_completion_tokens` or `max_tokens`, when given. */
  maxTokens: number | undefined;
  /** Chat: the names of the function tools offered (empty: none). */
  tools?: string[];
  /** Chat: the messages as sent (an agent turn reads the calls and tool results in them). */
  messages?: unknown[];
}

/** The names of a request's function tools (`tools[i].function.name`). */
function toolNames(tools: unknown): string[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) throw new MockRequestError("'tools' must be an array", 'tools');
  const names: string[] = [];
  for (let i = 0; i < tools.length; i++) {
    const tool: unknown = tools[i];
    const name = isRecord(tool) && isRecord(tool.function) ? tool.function.name : undefined;
    if (typeof name !== 'string' || name === '')
      throw new MockRequestError('each tool must have function.name', `tools[${i}].function.name`);
    names.push(name);
  }
  return names;
}

/** A request the mock refuses with 400; `param` names the offending field. */
export class MockRequestError extends Error {
  readonly param: string | null;
  constructor(message: string, param: string | null) {
    super(message);
    this.name = 'MockRequestError';
    this.param = param;
  }
}

/** Token counts, in OpenAI's `usage` shape. */
export interface MockUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  /** A reasoning answer's reasoning tokens (part of `completion_tokens`). */
  completion_tokens_details?: { reasoning_tokens: number };
  /** Prompt tokens served from the prefix cache, when it hit. */
  prompt_tokens_details?: { cached_tokens: number };
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function contentText(content: unknown, index: number): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) {
    throw new MockRequestError('content must be a string or an array of parts', `messages[${index}].content`);
  }
  // Only text parts carry prompt text; images and audio are accepted and ignored.
  let text = '';
  for (const part of content) {
    if (isRecord(part) && typeof part.text === 'string') text += part.text;
  }
  return text;
}

function chatPrompt(messages: unknown): string {
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new MockRequestError("'messages' must be a non-empty array", 'messages');
  }
  const parts: string[] = [];
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    if (!isRecord(message)) throw new MockRequestError('each message must be an object', `messages[${i}]`);
    parts.push(contentText(message.content, i));
  }
  return parts.join('\n');
}

function completionPrompt(prompt: unknown): string {
  if (typeof prompt === 'string') return prompt;
  if (Array.isArray(prompt) && prompt.every((p) => typeof p === 'string')) return prompt.join('\n');
  throw new MockRequestError("'prompt' must be a string or an array of strings", 'prompt');
}

function maxTokens(body: Record<string, unknown>): number | undefined {
  for (const param of ['max_completion_tokens', 'max_tokens']) {
    const value = body[param];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new MockRequestError(`'${param}' must be a positive integer`, param);
    }
    return value;
  }
  return undefined;
}

/**
 * Reads a parsed JSON body into a `MockRequest`.
 * @throws MockRequestError when a required field is missing or malformed.
 */
export function parseMockRequest(endpoint: MockEndpoint, body: unknown, defaultModel: string): MockRequest {
  if (!isRecord(body)) throw new MockRequestError('the request body must be a JSON object', null);
  const model = body.model ?? defaultModel;
  if (typeof model !== 'string') throw new MockRequestError("'model' must be a string", 'model');
  const prompt = endpoint === 'chat' ? chatPrompt(body.messages) : completionPrompt(body.prompt);
  const stream = body.stream === true;
  const options = body.stream_options;
  const request: MockRequest = {
    endpoint,
    model: model === '' ? defaultModel : model,
    prompt,
    stream,
    includeUsage: stream && isRecord(options) && options.include_usage === true,
    maxTokens: maxTokens(body),
  };
  if (endpoint === 'chat') {
    const tools = toolNames(body.tools);
    if (tools.length > 0) {
      request.tools = tools;
      request.messages = body.messages as unknown[];
    }
  }
  return request;
}

/** OpenAI's error body: `{ error: { message, type, param, code } }`. */
export function errorBody(
  message: string,
  param: string | null = null,
  code: string | null = null,
  type = 'invalid_request_error',
): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** `GET /v1/models` in OpenAI's list format. */
export function modelsBody(models: readonly string[], created: number): string {
  return JSON.stringify({
    object: 'list',
    data: models.map((id) => ({ id, object: 'model', created, owned_by: 'tokenstorm' })),
  });
}

/** The full non-streaming response. */
export function completionBody(
  req: MockRequest,
  id: string,
  created: number,
  text: string,
  finishReason: string,
  usage: MockUsage,
  reasoning = '',
  toolCalls?: readonly { id: string; name: string; arguments: string }[],
): string {
  const message: Record<string, unknown> =
    reasoning === ''
      ? { role: 'assistant', content: text, refusal: null }
      : { role: 'assistant', content: text, reasoning_content: reasoning, refusal: null };
  if (toolCalls !== undefined && toolCalls.length > 0) {
    message.content = null;
    message.tool_calls = toolCalls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
  }
  const choice =
    req.endpoint === 'chat'
      ? {
          index: 0,
          message,
          logprobs: null,
          finish_reason: finishReason,
        }
      : { index: 0, text, logprobs: null, finish_reason: finishReason };
  const object = req.endpoint === 'chat' ? 'chat.completion' : 'text_completion';
  return JSON.stringify({ id, object, created, model: req.model, choices: [choice], usage });
}

/** Writes the SSE events of one streamed response; each method returns a whole `data: ...\n\n` event. */
export interface StreamEncoder {
  /** The chat role-only chunk (`delta: { role: 'assistant', content: '' }`). */
  role(): string;
  token(text: string): string;
  /** A chat reasoning chunk (`delta: { reasoning_content }`), as vLLM and DeepSeek send them. */
  reasoning(text: string): string;
  finish(finishReason: string): string;
  /** A tool call's first chunk, as OpenAI sends it: index, id, type, name and empty arguments. */
  toolCallStart(index: number, id: string, name: string): string;
  /** A piece of a tool call's arguments. */
  toolCallArguments(index: number, text: string): string;
  usage(usage: MockUsage): string;
  done(): string;
}

/**
 * Builds the stream encoder for one response. The constant parts of a chunk
 * are serialised once, so each token costs one string concatenation.
 */
export function createStreamEncoder(req: MockRequest, id: string, created: number): StreamEncoder {
  const chat = req.endpoint === 'chat';
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const head = `data: {"id":${JSON.stringify(id)},"object":"${object}","created":${created},"model":${JSON.stringify(req.model)},"choices":`;
  // OpenAI sends `usage: null` on every chunk when usage was asked for.
  const usageNull = req.includeUsage ? ',"usage":null' : '';
  const tokenHead = chat ? `${head}[{"index":0,"delta":{"content":` : `${head}[{"index":0,"text":`;
  const tokenTail = chat
    ? `},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`
    : `,"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  return {
    role: () =>
      `${head}[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`,
    token: (text) => `${tokenHead}${JSON.stringify(text)}${tokenTail}`,
    reasoning: (text) =>
      `${head}[{"index":0,"delta":{"reasoning_content":${JSON.stringify(text)}},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`,
    finish: (reason) =>
      chat
        ? `${head}[{"index":0,"delta":{},"logprobs":null,"finish_reason":"${reason}"}]${usageNull}}\n\n`
        : `${head}[{"index":0,"text":"","logprobs":null,"finish_reason":"${reason}"}]${usageNull}}\n\n`,
    toolCallStart: (index, id, name) =>
      `${head}[{"index":0,"delta":{"tool_calls":[{"index":${index},"id":${JSON.stringify(id)},"type":"function","function":{"name":${JSON.stringify(name)},"arguments":""}}]},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`,
    toolCallArguments: (index, text) =>
      `${head}[{"index":0,"delta":{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(text)}}}]},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`,
    usage: (usage) => `${head}[],"usage":${JSON.stringify(usage)}}\n\n`,
    done: () => 'data: [DONE]\n\n',
  };
}
