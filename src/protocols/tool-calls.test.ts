import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpenAISink } from './openai-sink.js';
import { type ToolCall, ToolCallAssembler } from './tool-calls.js';

/** The SSE events of one turn in OpenAI's shape: per call a first chunk (id, name, empty arguments), then pieces. */
function turnEvents(calls: readonly ToolCall[], cuts: readonly number[][]): string[] {
  const events: string[] = [];
  const chunk = (delta: unknown, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  events.push(chunk({ role: 'assistant', content: null }));
  for (const [index, call] of calls.entries()) {
    events.push(
      chunk({
        tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }],
      }),
    );
    let from = 0;
    for (const at of [...(cuts[index] ?? []), call.arguments.length]) {
      if (at <= from) continue;
      events.push(
        chunk({ tool_calls: [{ index, function: { arguments: call.arguments.slice(from, at) } }] }),
      );
      from = at;
    }
  }
  events.push(chunk({}, 'tool_calls'));
  events.push('data: [DONE]\n\n');
  return events;
}

/** Feeds `bytes` to a sink in two pieces cut at `at`, as a socket might deliver them. */
function readSplit(bytes: Buffer, at: number): OpenAISink {
  const sink = new OpenAISink(undefined, true);
  sink.onStart(200, { 'content-type': 'text/event-stream' }, 0);
  sink.onData(bytes.subarray(0, at), 1);
  sink.onData(bytes.subarray(at), 2);
  expect(sink.onEnd(3)).toBeUndefined();
  return sink;
}

const callArb = fc.record({
  id: fc.stringMatching(/^call_[a-zA-Z0-9]{1,12}$/),
  name: fc.stringMatching(/^[a-z_]{1,16}$/),
  arguments: fc
    .dictionary(
      fc.string({ minLength: 1, maxLength: 6 }),
      fc.oneof(fc.string({ unit: 'grapheme' }), fc.integer()),
    )
    .map((o) => JSON.stringify(o)),
});

describe('ToolCallAssembler', () => {
  it('assembles several calls whose arguments are cut anywhere (property)', () => {
    fc.assert(
      fc.property(
        fc
          .array(callArb, { minLength: 1, maxLength: 4 })
          .chain((calls) =>
            fc.tuple(
              fc.constant(calls),
              fc.tuple(...calls.map((c) => fc.uniqueArray(fc.nat(c.arguments.length), { maxLength: 8 }))),
            ),
          ),
        ([calls, cuts]) => {
          const a = new ToolCallAssembler();
          for (const event of turnEvents(
            calls,
            cuts.map((c) => [...c].sort((x, y) => x - y)),
          )) {
            if (event.startsWith('data: [DONE]')) continue;
            const payload = JSON.parse(event.slice(6)) as { choices: { delta: { tool_calls?: unknown } }[] };
            a.add(payload.choices[0]?.delta.tool_calls);
          }
          expect(a.calls()).toEqual(calls);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a streamed turn read by the sink gives the same calls whatever byte the socket cuts it at', () => {
    const calls: ToolCall[] = [
      { id: 'call_a1', name: 'search', arguments: '{"query":"naïve café ✓","k":3}' },
      { id: 'call_b2', name: 'lookup', arguments: '{"id":"𝄞 42","deep":{"x":[1,2]}}' },
    ];
    const bytes = Buffer.from(
      turnEvents(calls, [
        [1, 5, 9, 14],
        [2, 3, 20],
      ]).join(''),
      'utf8',
    );
    for (let at = 0; at <= bytes.length; at++) {
      const sink = readSplit(bytes, at);
      expect(sink.toolCalls?.calls(), `cut at byte ${at}`).toEqual(calls);
      expect(sink.finishReason).toBe('tool_calls');
    }
  });

  it('splits every argument at every byte boundary of its UTF-8 form', () => {
    const call: ToolCall = { id: 'call_z', name: 'f', arguments: '{"q":"é€𝄞 x"}' };
    const bytes = Buffer.from(call.arguments, 'utf8');
    for (let at = 0; at <= bytes.length; at++) {
      // A piece cut inside a character is not valid text on its own: a server cuts between characters,
      // so the cut is moved back to the character's start and the rest goes in the next piece.
      const left = bytes
        .subarray(0, at)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
      const a = new ToolCallAssembler();
      a.add([{ index: 0, id: call.id, function: { name: call.name, arguments: '' } }]);
      a.add([{ index: 0, function: { arguments: left } }]);
      a.add([{ index: 0, function: { arguments: call.arguments.slice(left.length) } }]);
      expect(a.calls()).toEqual([call]);
    }
  });

  it('reads the calls of a whole (non-streamed) message', () => {
    const sink = new OpenAISink(undefined, true);
    sink.onStart(200, { 'content-type': 'application/json' }, 0);
    const message = {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'search', arguments: '{"q":"x"}' } }],
    };
    sink.onData(
      Buffer.from(JSON.stringify({ choices: [{ index: 0, message, finish_reason: 'tool_calls' }] })),
      1,
    );
    expect(sink.onEnd(2)).toBeUndefined();
    expect(sink.toolCalls?.calls()).toEqual([{ id: 'call_1', name: 'search', arguments: '{"q":"x"}' }]);
  });
});
