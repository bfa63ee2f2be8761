/**
 * @module protocols/steps/warm-apis
 * What the engine's warm-up server (engine/warm-up.ts) answers to the kinds
 * beyond chat and completions: Anthropic Messages and OpenAI Responses
 * streams and bodies, embeddings lists, and an agent's model turns (a
 * streamed tool call, then a final answer once a tool result came back).
 * Why: a test of these kinds otherwise ran its first requests on code the JIT
 * had never seen (event parsing, tool-call assembly), measured as the target's.
 */

type Reply = { contentType: string; body: string };

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** One streamed answer in this many is long, at most this many times (as the chat warm-up's). */
const LONG_CHUNKS = 4096;
const LONG_EVERY = 16;
const LONG_TIMES = 4;

/** Streamed answers of 3 deltas, now and then a long one; a JSON body when the request did not ask to stream. */
function replies(streamOf: (chunks: number) => string, json: string): (body: string) => Reply {
  const short = streamOf(3);
  let long: string | undefined;
  let streamed = 0;
  return (body) => {
    if (!body.includes('"stream":true')) return { contentType: 'application/json', body: json };
    streamed++;
    const isLong = streamed % LONG_EVERY === 0 && streamed <= LONG_EVERY * LONG_TIMES;
    if (isLong) long ??= streamOf(LONG_CHUNKS);
    return { contentType: 'text/event-stream', body: isLong ? (long as string) : short };
  };
}

/** Anthropic Messages: message_start, an empty text block, a ping, text deltas, usage, message_stop. */
export function warmMessagesReplies(): (body: string) => Reply {
  const usage = (out: number) => ({ input_tokens: 2, output_tokens: out });
  const message = (content: unknown[], out: number) => ({
    id: 'warm',
    type: 'message',
    role: 'assistant',
    model: 'warm',
    content,
    stop_reason: out > 1 ? 'end_turn' : null,
    usage: usage(out),
  });
  const streamOf = (chunks: number) =>
    sse('message_start', { type: 'message_start', message: message([], 1) }) +
    sse('content_block_start', {
      type: 'content_block_start',
      index: 0,
      content_block: { type: 'text', text: '' },
    }) +
    sse('ping', { type: 'ping' }) +
    sse('content_block_delta', {
      type: 'content_block_delta',
      index: 0,
      delta: { type: 'text_delta', text: ' warm' },
    }).repeat(chunks) +
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: chunks },
    }) +
    sse('message_stop', { type: 'message_stop' });
  return replies(streamOf, JSON.stringify(message([{ type: 'text', text: 'warm' }], 3)));
}

/** OpenAI Responses: created, output item and part added, text deltas, response.completed with usage. */
export function warmResponsesReplies(): (body: string) => Reply {
  const response = (status: string, text: string, out: number) => ({
    id: 'warm',
    object: 'response',
    status,
    model: 'warm',
    output:
      text === ''
        ? []
        : [
            {
              id: 'msg_warm',
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text, annotations: [] }],
            },
          ],
    usage: status === 'in_progress' ? null : { input_tokens: 2, output_tokens: out, total_tokens: out + 2 },
  });
  const at = { item_id: 'msg_warm', output_index: 0, content_index: 0 };
  const streamOf = (chunks: number) =>
    sse('response.created', { type: 'response.created', response: response('in_progress', '', 0) }) +
    sse('response.output_item.added', {
      type: 'response.output_item.added',
      output_index: 0,
      item: { id: 'msg_warm', type: 'message', role: 'assistant', content: [] },
    }) +
    sse('response.content_part.added', {
      type: 'response.content_part.added',
      ...at,
      part: { type: 'output_text', text: '' },
    }) +
    sse('response.output_text.delta', { type: 'response.output_text.delta', ...at, delta: ' warm' }).repeat(
      chunks,
    ) +
    sse('response.output_text.done', { type: 'response.output_text.done', ...at, text: '' }) +
    sse('response.completed', {
      type: 'response.completed',
      response: response('completed', ' warm'.repeat(chunks), chunks),
    });
  return replies(streamOf, JSON.stringify(response('completed', 'warm', 3)));
}

/** An embeddings list with one small vector per input of the request. */
export function warmEmbeddingsReply(body: string): Reply {
  let inputs = 1;
  try {
    const input = (JSON.parse(body) as { input?: unknown }).input;
    if (Array.isArray(input)) inputs = input.length;
  } catch {
    // The warm-up's own bodies are JSON; anything else gets one vector.
  }
  const data = Array.from({ length: inputs }, (_, index) => ({
    object: 'embedding',
    index,
    embedding: [0.6, 0.8, 0, 0],
  }));
  return {
    contentType: 'application/json',
    body: JSON.stringify({ object: 'list', data, model: 'warm', usage: { prompt_tokens: 2 * inputs } }),
  };
}

/** The tool every warm-up agent declares and its model calls. */
export const WARM_TOOL = 'warm_tool';

/**
 * An agent's model (chat completions with `tools`): a tool call, its arguments
 * split over chunks, until the request carries a tool result; then a final answer.
 */
export function warmAgentReplies(answer: (body: string) => Reply): (body: string) => Reply {
  const chunk = (delta: unknown, finish: string | null, usage?: unknown) =>
    `data: ${JSON.stringify({ id: 'warm', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage === undefined ? {} : { usage }) })}\n\n`;
  const args = (text: string) => ({ tool_calls: [{ index: 0, function: { arguments: text } }] });
  const usage = { prompt_tokens: 8, completion_tokens: 4, total_tokens: 12 };
  const stream =
    chunk(
      {
        role: 'assistant',
        tool_calls: [
          { index: 0, id: 'call_warm', type: 'function', function: { name: WARM_TOOL, arguments: '' } },
        ],
      },
      null,
    ) +
    chunk(args('{"q":'), null) +
    chunk(args('"warm"}'), null) +
    chunk({}, 'tool_calls', usage) +
    'data: [DONE]\n\n';
  const json = JSON.stringify({
    id: 'warm',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_warm', type: 'function', function: { name: WARM_TOOL, arguments: '{"q":"warm"}' } },
          ],
        },
        finish_reason: 'tool_calls',
      },
    ],
    usage,
  });
  return (body) => {
    if (body.includes('"role":"tool"')) return answer(body);
    return body.includes('"stream":true')
      ? { contentType: 'text/event-stream', body: stream }
      : { contentType: 'application/json', body: json };
  };
}
