/**
 * @module protocols/responses-sink
 * The OpenAI Responses API read into the model metrics: the typed events of a
 * stream (`response.output_text.delta`, `response.reasoning_*.delta`,
 * `response.function_call_arguments.delta`, `response.completed` with usage,
 * `response.failed`, `error`, …) or a whole response body. TTFT is the first
 * text, reasoning or function-argument delta.
 */
import { type EventDialect, EventSink, type EventTarget } from './event-sink.js';

type Obj = Record<string, unknown>;

function obj(x: unknown): Obj | undefined {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Obj) : undefined;
}

function usageOf(u: Obj | undefined, to: EventTarget): void {
  if (u === undefined) return;
  if (typeof u.input_tokens === 'number') to.addUsage({ prompt_tokens: u.input_tokens });
  if (typeof u.output_tokens === 'number') {
    const reasoning = obj(u.output_tokens_details)?.reasoning_tokens;
    to.addUsage({
      completion_tokens: u.output_tokens,
      ...(typeof reasoning === 'number' && reasoning > 0
        ? { completion_tokens_details: { reasoning_tokens: reasoning } }
        : {}),
    });
  }
}

/** The end of a response: usage and its status as the finish reason (`completed`, `incomplete`). */
function ended(response: Obj | undefined, to: EventTarget): void {
  if (response === undefined) return;
  usageOf(obj(response.usage), to);
  const reason = obj(response.incomplete_details)?.reason;
  if (typeof reason === 'string') to.finish(reason);
  else if (typeof response.status === 'string') to.finish(response.status);
}

function errorText(e: Obj | undefined, fallback: unknown): string {
  return String(e?.message ?? e?.code ?? JSON.stringify(fallback));
}

export const responsesDialect: EventDialect = {
  name: 'OpenAI Responses',
  event(type, data, to) {
    switch (type) {
      case 'response.output_text.delta':
      case 'response.refusal.delta':
      case 'response.function_call_arguments.delta':
        if (typeof data.delta === 'string') to.output(data.delta, false);
        return;
      case 'response.reasoning_text.delta':
      case 'response.reasoning_summary_text.delta':
        if (typeof data.delta === 'string') to.output(data.delta, true);
        return;
      case 'response.completed':
      case 'response.incomplete':
        ended(obj(data.response), to);
        to.done();
        return;
      case 'response.failed': {
        const response = obj(data.response);
        to.fail(`response failed: ${errorText(obj(response?.error), data)}`);
        return;
      }
      case 'error':
        to.fail(`error event in stream: ${errorText(data, data)}`);
        return;
      default:
        return;
    }
  },
  body(data, to) {
    if (data.error !== undefined && data.error !== null) {
      to.fail(errorText(obj(data.error), data.error));
      return;
    }
    const output = Array.isArray(data.output) ? data.output : [];
    for (const part of output) {
      const item = obj(part);
      if (item?.type === 'reasoning') {
        const summary = Array.isArray(item.summary) ? item.summary : [];
        for (const s of summary) {
          const text = obj(s)?.text;
          if (typeof text === 'string') to.output(text, true);
        }
      } else if (item?.type === 'message') {
        const content = Array.isArray(item.content) ? item.content : [];
        for (const c of content) {
          const p = obj(c);
          if (p?.type === 'output_text' && typeof p.text === 'string') to.output(p.text, false);
          else if (p?.type === 'refusal' && typeof p.refusal === 'string') to.output(p.refusal, false);
        }
      } else if (item?.type === 'function_call' && typeof item.arguments === 'string') {
        to.output(item.arguments, false);
      }
    }
    ended(data, to);
  },
};

/** A sink for one OpenAI Responses answer. */
export function responsesSink(cancelAfterTokens?: number): EventSink {
  return new EventSink(responsesDialect, cancelAfterTokens);
}
