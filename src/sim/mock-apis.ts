/**
 * @module sim/mock-apis
 * The Anthropic Messages and OpenAI Responses wire formats as the mock speaks
 * them: reading their requests into a `MockRequest`, and writing their stream
 * events and whole bodies (with usage), so the official SDKs read the mock.
 */
import {
  errorBody,
  type MockEndpoint,
  type MockRequest,
  MockRequestError,
  type MockUsage,
} from './mock-openai.js';

/** How one answer is written to the wire, whatever the API. */
export interface MockWire {
  /** What goes out with the headers of a stream ('' for nothing). */
  start(): string;
  token(text: string): string;
  reasoning(text: string): string;
  /** The stream's last events: finish reason, usage, end marker. */
  end(finishReason: string, usage: MockUsage, text: string): string;
  /** The event that ends a stream the server gave up on (the `error_event` fault). */
  error(): string;
  /** A whole (non-streamed) answer (tool calls: OpenAI chat only, the mock as an agent's model). */
  body(
    text: string,
    reasoning: string,
    finishReason: string,
    usage: MockUsage,
    toolCalls?: readonly { id: string; name: string; arguments: string }[],
  ): string;
  /** A streamed tool call's first chunk and its argument pieces (OpenAI chat only). */
  toolCallStart?(index: number, id: string, name: string): string;
  toolCallArguments?(index: number, text: string): string;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function textOf(content: unknown, param: string): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw new MockRequestError('content must be a string or an array of blocks', param);
  let text = '';
  for (const part of content) if (isRecord(part) && typeof part.text === 'string') text += part.text;
  return text;
}

function positive(body: Record<string, unknown>, param: string): number | undefined {
  const value = body[param];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new MockRequestError(`'${param}' must be a positive integer`, param);
  return value;
}

/** Anthropic's error `type` for a status (docs.anthropic.com, "Errors"). */
function anthropicErrorType(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_request_error';
    case 401:
      return 'authentication_error';
    case 403:
      return 'permission_error';
    case 404:
      return 'not_found_error';
    case 413:
      return 'request_too_large';
    case 429:
      return 'rate_limit_error';
    case 529:
      return 'overloaded_error';
    default:
      return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

/** What an error answer says, whatever the API writes it as. */
export interface MockErrorFields {
  message: string;
  /** OpenAI's `type` (Anthropic's is derived from the status). */
  type?: string;
  code?: string | null;
  param?: string | null;
}

/**
 * An error body in the format of the endpoint's API: Anthropic's
 * `{"type":"error","error":{"type":…,"message":…}}` on `/v1/messages`, OpenAI's
 * `{"error":{"message","type","param","code"}}` elsewhere (chat, completions, Responses, embeddings).
 */
export function apiErrorBody(endpoint: MockEndpoint | undefined, status: number, e: MockErrorFields): string {
  if (endpoint === 'messages')
    return JSON.stringify({ type: 'error', error: { type: anthropicErrorType(status), message: e.message } });
  return errorBody(e.message, e.param ?? null, e.code ?? null, e.type ?? 'invalid_request_error');
}

/** Reads an Anthropic Messages or OpenAI Responses request. */
export function parseApiRequest(
  endpoint: 'messages' | 'responses',
  body: unknown,
  defaultModel: string,
): MockRequest {
  if (!isRecord(body)) throw new MockRequestError('the request body must be a JSON object', null);
  const model = body.model ?? defaultModel;
  if (typeof model !== 'string') throw new MockRequestError("'model' must be a string", 'model');
  const parts: string[] = [];
  if (endpoint === 'messages') {
    if (body.system !== undefined) parts.push(textOf(body.system, 'system'));
    const messages = body.messages;
    if (!Array.isArray(messages) || messages.length === 0)
      throw new MockRequestError("'messages' must be a non-empty array", 'messages');
    messages.forEach((m, i) => {
      if (!isRecord(m)) throw new MockRequestError('each message must be an object', `messages[${i}]`);
      parts.push(textOf(m.content, `messages[${i}].content`));
    });
  } else {
    if (typeof body.instructions === 'string') parts.push(body.instructions);
    const input = body.input;
    if (typeof input === 'string') parts.push(input);
    else if (Array.isArray(input) && input.length > 0)
      input.forEach((item, i) => {
        if (!isRecord(item)) throw new MockRequestError('each input item must be an object', `input[${i}]`);
        parts.push(textOf(item.content ?? item.output, `input[${i}].content`));
      });
    else throw new MockRequestError("'input' must be a string or a non-empty array", 'input');
  }
  const stream = body.stream === true;
  return {
    endpoint,
    model: model === '' ? defaultModel : model,
    prompt: parts.join('\n'),
    stream,
    includeUsage: stream,
    maxTokens: positive(body, endpoint === 'messages' ? 'max_tokens' : 'max_output_tokens'),
  };
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function anthropicUsage(usage: MockUsage, output: number) {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    input_tokens: usage.prompt_tokens - cached,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: cached,
    output_tokens: output,
  };
}

const stopReason = (finish: string): string => (finish === 'length' ? 'max_tokens' : 'end_turn');

/** Anthropic Messages: a text block (after a thinking block when the answer reasons). */
export function anthropicWire(req: MockRequest, id: string, usage: MockUsage, reasons: boolean): MockWire {
  const message = (content: unknown[], stop: string | null, out: number) => ({
    id,
    type: 'message',
    role: 'assistant',
    model: req.model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: anthropicUsage(usage, out),
  });
  let block = 0;
  let inText = !reasons;
  const textStart = (index: number) =>
    sse('content_block_start', {
      type: 'content_block_start',
      index,
      content_block: { type: 'text', text: '' },
    });
  const textHead = `event: content_block_delta\ndata: {"type":"content_block_delta","index":`;
  return {
    start: () =>
      sse('message_start', { type: 'message_start', message: message([], null, 1) }) +
      (reasons
        ? sse('content_block_start', {
            type: 'content_block_start',
            index: 0,
            content_block: { type: 'thinking', thinking: '', signature: '' },
          })
        : textStart(0)) +
      sse('ping', { type: 'ping' }),
    reasoning: (text) =>
      sse('content_block_delta', {
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'thinking_delta', thinking: text },
      }),
    token: (text) => {
      let head = '';
      if (!inText) {
        inText = true;
        head = sse('content_block_stop', { type: 'content_block_stop', index: block }) + textStart(++block);
      }
      return `${head}${textHead}${block},"delta":{"type":"text_delta","text":${JSON.stringify(text)}}}\n\n`;
    },
    end: (finish) =>
      (inText
        ? ''
        : sse('content_block_stop', { type: 'content_block_stop', index: block }) + textStart(++block)) +
      sse('content_block_stop', { type: 'content_block_stop', index: block }) +
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason(finish), stop_sequence: null },
        usage: { output_tokens: usage.completion_tokens },
      }) +
      sse('message_stop', { type: 'message_stop' }),
    error: () => sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }),
    body: (text, reasoning, finish) =>
      JSON.stringify(
        message(
          [
            ...(reasoning === '' ? [] : [{ type: 'thinking', thinking: reasoning, signature: '' }]),
            { type: 'text', text },
          ],
          stopReason(finish),
          usage.completion_tokens,
        ),
      ),
  };
}

/** OpenAI Responses: one message output item with one `output_text` part. */
export function responsesWire(req: MockRequest, id: string, created: number, usage: MockUsage): MockWire {
  const itemId = `msg_${id}`;
  let seq = 0;
  const event = (type: string, data: Record<string, unknown>) =>
    sse(type, { type, ...data, sequence_number: seq++ });
  const responseUsage = {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: usage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: usage.total_tokens,
  };
  const item = (text: string, done: boolean) => ({
    id: itemId,
    type: 'message',
    status: done ? 'completed' : 'in_progress',
    role: 'assistant',
    content: done ? [{ type: 'output_text', text, annotations: [] }] : [],
  });
  const response = (status: string, output: unknown[], finish: string | undefined) => ({
    id,
    object: 'response',
    created_at: created,
    status,
    model: req.model,
    output,
    error: null,
    incomplete_details: finish === 'length' ? { reason: 'max_output_tokens' } : null,
    usage: status === 'in_progress' ? null : responseUsage,
  });
  const statusOf = (finish: string) => (finish === 'length' ? 'incomplete' : 'completed');
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  const deltaHead = `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":${JSON.stringify(itemId)},"output_index":0,"content_index":0,"delta":`;
  return {
    start: () =>
      event('response.created', { response: response('in_progress', [], undefined) }) +
      event('response.in_progress', { response: response('in_progress', [], undefined) }) +
      event('response.output_item.added', { output_index: 0, item: item('', false) }) +
      event('response.content_part.added', {
        ...at,
        part: { type: 'output_text', text: '', annotations: [] },
      }),
    token: (text) => `${deltaHead}${JSON.stringify(text)},"logprobs":[],"sequence_number":${seq++}}\n\n`,
    reasoning: (text) => `${deltaHead}${JSON.stringify(text)},"logprobs":[],"sequence_number":${seq++}}\n\n`,
    end: (finish, _usage, text) =>
      event('response.output_text.done', { ...at, text, logprobs: [] }) +
      event('response.content_part.done', { ...at, part: { type: 'output_text', text, annotations: [] } }) +
      event('response.output_item.done', { output_index: 0, item: item(text, true) }) +
      event(finish === 'length' ? 'response.incomplete' : 'response.completed', {
        response: response(statusOf(finish), [item(text, true)], finish),
      }),
    error: () => event('error', { code: 'server_error', message: 'The server is overloaded.', param: null }),
    body: (text, _reasoning, finish) =>
      JSON.stringify(response(statusOf(finish), [item(text, true)], finish)),
  };
}
