import { describe, expect, it } from 'vitest';
import { idleReaderCount, OpenAISink } from './openai-sink.js';

const SSE = { 'content-type': 'text/event-stream' };
const event = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
const DONE = 'data: [DONE]\n\n';

function stream(sink: OpenAISink, pieces: (string | Buffer)[]) {
  sink.onStart(200, SSE, 0);
  let at = 1;
  for (const piece of pieces) {
    const failure = sink.onData(typeof piece === 'string' ? Buffer.from(piece) : piece, at++);
    if (failure !== undefined) return failure;
  }
  return sink.onEnd(at);
}

describe('OpenAISink', () => {
  it('hands its parser and decoder to the next stream, emptied of what the last one left', () => {
    // A stream cut mid-event and mid-character: its parser holds half a line, its decoder
    // the first byte of "é" (0xc3 0xa9).
    const cut = new OpenAISink();
    const half = Buffer.concat([
      Buffer.from(`${event('one')}data: {"choices":[{"index":0,"delta":{"content":"`),
      Buffer.from([0xc3]),
    ]);
    expect(stream(cut, [half])?.kind).toBe('stream_error');
    expect(cut.text).toBe('one');
    expect(idleReaderCount()).toBeGreaterThan(0);
    const idle = idleReaderCount();
    // The next stream takes that reader, and nothing of the cut one reaches it.
    const next = new OpenAISink();
    next.onStart(200, SSE, 0);
    expect(idleReaderCount()).toBe(idle - 1);
    const bytes = Buffer.from(`${event('été')}${event(' ok')}${DONE}`);
    // Split inside the two-byte "é", as a TCP segment may be.
    const split = bytes.indexOf(0xa9);
    expect(next.onData(bytes.subarray(0, split), 1)).toBeUndefined();
    expect(next.onData(bytes.subarray(split), 2)).toBeUndefined();
    expect(next.onEnd(3)).toBeUndefined();
    expect(next.text).toBe('été ok');
    expect(next.chunks).toBe(2);
    expect(idleReaderCount()).toBe(idle);
  });

  it('reads a JSON answer split inside a character without a reader', () => {
    const sink = new OpenAISink();
    const body = Buffer.from(
      JSON.stringify({
        choices: [{ index: 0, message: { content: 'né' } }],
        usage: { completion_tokens: 2 },
      }),
    );
    const split = body.indexOf(0xa9);
    sink.onStart(200, { 'content-type': 'application/json' }, 0);
    const idle = idleReaderCount();
    expect(sink.onData(body.subarray(0, split), 1)).toBeUndefined();
    expect(sink.onData(body.subarray(split), 2)).toBeUndefined();
    expect(sink.onEnd(3)).toBeUndefined();
    expect(sink.text).toBe('né');
    expect(idleReaderCount()).toBe(idle);
  });
});
