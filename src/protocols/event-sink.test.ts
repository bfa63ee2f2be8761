/**
 * The Anthropic Messages and OpenAI Responses readers on typed SSE events and
 * whole bodies: what counts as output (text, thinking, tool input, function
 * arguments) and when, usage, finish reasons, and how errors are classified.
 */
import { describe, expect, it } from 'vitest';
import { anthropicSink } from './anthropic-sink.js';
import type { EventSink } from './event-sink.js';
import { responsesSink } from './responses-sink.js';

const SSE = { 'content-type': 'text/event-stream' };
const JSON_TYPE = { 'content-type': 'application/json' };
const sse = (event: string, data: Record<string, unknown>) =>
  `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;

/** Feeds `pieces` one byte range each at times 1, 2, …; returns the failure, if any. */
function feed(sink: EventSink, pieces: string[], status = 200, headers = SSE) {
  sink.onStart(status, headers, 0);
  let at = 1;
  for (const piece of pieces) {
    const failure = sink.onData(Buffer.from(piece), at++);
    if (failure !== undefined) return failure;
  }
  return sink.onEnd(at);
}

const delta = (index: number, d: Record<string, unknown>) => sse('content_block_delta', { index, delta: d });
const start = sse('message_start', {
  message: { usage: { input_tokens: 9, cache_read_input_tokens: 3, output_tokens: 1 } },
});
const stop = (out: number) =>
  sse('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: out } }) +
  sse('message_stop', {});

describe('Anthropic Messages sink', () => {
  it('times thinking, text and tool input deltas, not pings, block starts or signatures', () => {
    const sink = anthropicSink();
    const failure = feed(sink, [
      sse('ping', {}) +
        start +
        sse('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      delta(0, { type: 'thinking_delta', thinking: 'hmm' }),
      delta(0, { type: 'signature_delta', signature: 'abc' }),
      sse('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      delta(1, { type: 'text_delta', text: 'Calling.' }),
      sse('content_block_start', {
        index: 2,
        content_block: { type: 'tool_use', id: 't', name: 'f', input: {} },
      }),
      delta(2, { type: 'input_json_delta', partial_json: '{"a":' }),
      delta(2, { type: 'input_json_delta', partial_json: '1}' }),
      stop(6),
    ]);
    expect(failure).toBeUndefined();
    expect(sink.firstTokenAt).toBe(2);
    expect(sink.firstContentAt).toBe(5);
    expect(sink.lastReasoningAt).toBe(2);
    expect(sink.reasoningChunks).toBe(1);
    expect(sink.chunks).toBe(4);
    expect(sink.itlMs).toEqual([3, 2, 1]);
    expect(sink.text).toBe('hmmCalling.{"a":1}');
    expect(sink.usage).toEqual({ prompt_tokens: 12, completion_tokens: 6 });
    expect(sink.finishReason).toBe('tool_use');
  });

  it('takes an overloaded_error event as overloaded, another error event or a stream without message_stop as a stream_error', () => {
    const overloaded = feed(anthropicSink(), [
      start,
      delta(0, { type: 'text_delta', text: 'a' }),
      sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }),
    ]);
    expect(overloaded).toEqual({
      kind: 'overloaded',
      message: 'error event in stream: overloaded_error: Overloaded',
    });
    const apiError = feed(anthropicSink(), [
      start,
      sse('error', { error: { type: 'api_error', message: 'Internal server error' } }),
    ]);
    expect(apiError).toEqual({
      kind: 'stream_error',
      message: 'error event in stream: api_error: Internal server error',
    });
    const cut = feed(anthropicSink(), [start, delta(0, { type: 'text_delta', text: 'a' })]);
    expect(cut?.kind).toBe('stream_error');
  });

  it('classifies 429 as rate_limited, 529 as overloaded and 500 as http_5xx, quoting the body', () => {
    const body = JSON.stringify({
      type: 'error',
      error: { type: 'overloaded_error', message: 'Overloaded' },
    });
    expect(feed(anthropicSink(), [body], 429, JSON_TYPE)?.kind).toBe('rate_limited');
    const overloaded = feed(anthropicSink(), [body], 529, JSON_TYPE);
    expect(overloaded?.kind).toBe('overloaded');
    expect(overloaded?.message).toContain('HTTP 529: {"type":"error","error":{"type":"overloaded_error"');
    expect(feed(anthropicSink(), ['{"type":"error"}'], 500, JSON_TYPE)?.kind).toBe('http_5xx');
  });

  it('reads a whole message: thinking, text and tool input, usage, stop reason; one chunk', () => {
    const sink = anthropicSink();
    const body = JSON.stringify({
      type: 'message',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 's' },
        { type: 'text', text: 'Hi' },
        { type: 'tool_use', id: 't', name: 'f', input: { a: 1 } },
      ],
      stop_reason: 'end_turn',
      usage: { input_tokens: 4, output_tokens: 7 },
    });
    expect(feed(sink, [body.slice(0, 20), body.slice(20)], 200, JSON_TYPE)).toBeUndefined();
    expect(sink.text).toBe('hmmHi{"a":1}');
    expect(sink.chunks).toBe(1);
    expect(sink.firstTokenAt).toBe(3);
    expect(sink.itlMs).toEqual([]);
    expect(sink.usage).toEqual({ prompt_tokens: 4, completion_tokens: 7 });
    expect(sink.finishReason).toBe('end_turn');
  });
});

describe('OpenAI Responses sink', () => {
  const completed = (status = 'completed') =>
    sse('response.completed', {
      response: {
        status,
        usage: { input_tokens: 5, output_tokens: 8, output_tokens_details: { reasoning_tokens: 2 } },
      },
    });

  it('times text, reasoning and function-argument deltas; usage from response.completed', () => {
    const sink = responsesSink();
    const failure = feed(sink, [
      sse('response.created', { response: { status: 'in_progress' } }) +
        sse('response.output_item.added', { output_index: 0, item: { type: 'reasoning' } }),
      sse('response.reasoning_summary_text.delta', { delta: 'think' }),
      sse('response.output_text.delta', { delta: 'Hel' }),
      sse('response.output_text.delta', { delta: 'lo' }) +
        sse('response.output_text.done', { text: 'Hello' }),
      sse('response.function_call_arguments.delta', { delta: '{"q":1}' }),
      completed(),
    ]);
    expect(failure).toBeUndefined();
    expect(sink.firstTokenAt).toBe(2);
    expect(sink.firstContentAt).toBe(3);
    expect(sink.chunks).toBe(4);
    expect(sink.itlMs).toEqual([1, 1, 1]);
    expect(sink.text).toBe('thinkHello{"q":1}');
    expect(sink.usage).toEqual({
      prompt_tokens: 5,
      completion_tokens: 8,
      completion_tokens_details: { reasoning_tokens: 2 },
    });
    expect(sink.finishReason).toBe('completed');
  });

  it('takes response.failed, an error event or a stream without its end as a stream_error', () => {
    const failed = feed(responsesSink(), [
      sse('response.output_text.delta', { delta: 'a' }),
      sse('response.failed', {
        response: { status: 'failed', error: { code: 'server_error', message: 'boom' } },
      }),
    ]);
    expect(failed).toEqual({ kind: 'stream_error', message: 'response failed: boom' });
    const error = feed(responsesSink(), [
      sse('error', { code: 'rate_limit_exceeded', message: 'slow down' }),
    ]);
    expect(error).toEqual({ kind: 'stream_error', message: 'error event in stream: slow down' });
    expect(feed(responsesSink(), [sse('response.output_text.delta', { delta: 'a' })])?.kind).toBe(
      'stream_error',
    );
  });

  it('reads a whole response: message text and function call arguments, usage and status', () => {
    const sink = responsesSink();
    const body = JSON.stringify({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output: [
        { type: 'message', content: [{ type: 'output_text', text: 'Hi' }] },
        { type: 'function_call', name: 'f', arguments: '{"q":1}' },
      ],
      usage: { input_tokens: 3, output_tokens: 4 },
    });
    expect(feed(sink, [body], 200, JSON_TYPE)).toBeUndefined();
    expect(sink.text).toBe('Hi{"q":1}');
    expect(sink.chunks).toBe(1);
    expect(sink.usage).toEqual({ prompt_tokens: 3, completion_tokens: 4 });
    expect(sink.finishReason).toBe('max_output_tokens');
  });
});
