/**
 * @module protocols/anthropic-sink
 * The Anthropic Messages API read into the model metrics: the `message_start`,
 * `content_block_*`, `message_delta` (usage), `message_stop`, `ping` and
 * `error` events of a stream, or a whole message body. Output is text,
 * thinking (reasoning) and `tool_use` input JSON deltas; TTFT is the first.
 */
import { type EventDialect, EventSink, type EventTarget } from './event-sink.js';

type Obj = Record<string, unknown>;

function obj(x: unknown): Obj | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Obj) : undefined;
}

/** Anthropic's usage in the metrics' shape: `input_tokens` (plus cache reads and writes) and `output_tokens`. */
function usageOf(u: Obj | undefined, to: EventTarget): void {
  if (u === undefined) return;
  const input = u.input_tokens;
  const output = u.output_tokens;
  const cached = (u.cache_read_input_tokens as number | undefined) ?? 0;
  const created = (u.cache_creation_input_tokens as number | undefined) ?? 0;
  if (typeof input === 'number') to.addUsage({ prompt_tokens: input + cached + created });
  if (typeof output === 'number') to.addUsage({ completion_tokens: output });
}

/** An `overloaded_error` is the 529 of a stream already under way: the server asks the client to back off. */
function errorKind(data: Obj): 'overloaded' | undefined {
  return obj(data.error)?.type === 'overloaded_error' ? 'overloaded' : undefined;
}

function errorMessage(data: Obj): string {
  const e = obj(data.error);
  return `error event in stream: ${String(e?.type ?? 'error')}: ${String(e?.message ?? JSON.stringify(data))}`;
}

export const anthropicDialect: EventDialect = {
  name: 'Anthropic Messages',
  event(type, data, to) {
    switch (type) {
      case 'content_block_delta': {
        const delta = obj(data.delta);
        if (delta === undefined) return;
        if (delta.type === 'text_delta' && typeof delta.text === 'string') to.output(delta.text, false);
        else if (delta.type === 'thinking_delta' && typeof delta.thinking === 'string')
          to.output(delta.thinking, true);
        else if (delta.type === 'input_json_delta' && typeof delta.partial_json === 'string')
          to.output(delta.partial_json, false);
        return;
      }
      case 'message_start':
        usageOf(obj(obj(data.message)?.usage), to);
        return;
      case 'message_delta': {
        const reason = obj(data.delta)?.stop_reason;
        if (typeof reason === 'string') to.finish(reason);
        usageOf(obj(data.usage), to);
        return;
      }
      case 'message_stop':
        to.done();
        return;
      case 'error':
        to.fail(errorMessage(data), errorKind(data));
        return;
      default:
        // ping, content_block_start/stop, and event types added later carry no output.
        return;
    }
  },
  body(data, to) {
    if (data.type === 'error') {
      to.fail(errorMessage(data).replace('error event in stream: ', ''), errorKind(data));
      return;
    }
    const content = Array.isArray(data.content) ? data.content : [];
    for (const part of content) {
      const block = obj(part);
      if (block?.type === 'thinking' && typeof block.thinking === 'string') to.output(block.thinking, true);
      else if (block?.type === 'text' && typeof block.text === 'string') to.output(block.text, false);
      else if (block?.type === 'tool_use') to.output(JSON.stringify(block.input ?? {}), false);
    }
    if (typeof data.stop_reason === 'string') to.finish(data.stop_reason);
    usageOf(obj(data.usage), to);
  },
};

/** A sink for one Anthropic Messages answer. */
export function anthropicSink(cancelAfterTokens?: number): EventSink {
  return new EventSink(anthropicDialect, cancelAfterTokens);
}
