import { describe, expect, it, vi } from 'vitest';
import { idleReaderCount, OpenAISink } from './openai-sink.js';

const SSE = { 'content-type': 'text/event-stream' };
const event = (content: string) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;
const DONE = 'data: [DONE]\n\n';
/** A vLLM chat chunk of stream `id`: `delta` and `finish` as JSON text. */
const vllm = (id: string, delta: string, finish = 'null') =>
  `data: {"id":"${id}","object":"chat.completion.chunk","created":1764686400,"model":"m","choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
const content = (id: string, text: string) => vllm(id, `{"content":${JSON.stringify(text)}}`);

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

  it('reads the content chunks of a stream by their shape, and parses every chunk that says more', () => {
    const words = Array.from({ length: 30 }, (_, i) => ` w${i}`);
    const body = (id: string) => [
      vllm(id, '{"role":"assistant","content":""}'),
      ...words.map((w) => content(id, w)),
      content(id, 'say "hi"\n'), // escapes: parsed
      vllm(id, '{"reasoning_content":"hmm"}'), // another field: parsed
      vllm(id, '{}', '"length"'),
      `data: {"id":"${id}","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":32}}\n\n`,
      DONE,
    ];
    const parse = vi.spyOn(JSON, 'parse');
    try {
      for (const id of ['chatcmpl-a', 'chatcmpl-b']) {
        parse.mockClear();
        const sink = new OpenAISink();
        expect(stream(sink, body(id))).toBeUndefined();
        expect(sink.text).toBe(`${words.join('')}say "hi"\nhmm`);
        expect(sink.chunks).toBe(32);
        expect(sink.itlMs).toHaveLength(31);
        expect(sink.finishReason).toBe('length');
        expect(sink.usage).toEqual({ prompt_tokens: 3, completion_tokens: 32 });
        // The role chunk, one content chunk (and the shape's check), then the four that say more;
        // the other stream's shape (another id) does not fit and is learned again.
        expect(parse.mock.calls.length).toBeLessThanOrEqual(8);
      }
      // An error after the shape was learned is still an error.
      const sink = new OpenAISink();
      const failed = stream(sink, [
        content('chatcmpl-b', ' a'),
        'data: {"error":{"message":"overloaded"}}\n\n',
      ]);
      expect(failed).toEqual({ kind: 'stream_error', message: 'error event in stream: overloaded' });
    } finally {
      parse.mockRestore();
    }
  });

  it('learns the shape of reasoning chunks and of completion text chunks too', () => {
    const reasoning = (text: string) => vllm('chatcmpl-r', `{"reasoning_content":${JSON.stringify(text)}}`);
    const completion = (text: string) =>
      `data: {"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":null}]}\n\n`;
    const words = Array.from({ length: 20 }, (_, i) => ` r${i}`);
    const parse = vi.spyOn(JSON, 'parse');
    try {
      for (const chunk of [reasoning, completion]) {
        parse.mockClear();
        const sink = new OpenAISink();
        expect(stream(sink, [...words.map(chunk), vllm('x', '{}', '"stop"'), DONE])).toBeUndefined();
        expect(sink.text).toBe(words.join(''));
        expect(sink.chunks).toBe(20);
        expect(sink.finishReason).toBe('stop');
        // The first chunk and the shape's check, then the finish chunk: the other 19 by the shape.
        expect(parse.mock.calls.length).toBeLessThanOrEqual(4);
      }
    } finally {
      parse.mockRestore();
    }
  });

  it('reads a 1 MiB first event exactly, in 64 KiB reads, and learns the shape from the short events after it', () => {
    const big = ' tok'.repeat(1 << 18);
    const id = 'chatcmpl-big';
    const first = content(id, big);
    const bytes = Buffer.from(
      [first, ...Array.from({ length: 20 }, (_, i) => content(id, ` w${i}`)), DONE].join(''),
    );
    const reads: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += 65_536) reads.push(bytes.subarray(at, at + 65_536));
    // Needs escapes: a quote and a line feed.
    const escaped = `${big.slice(0, 500_000)}"\n${big.slice(500_000)}`;
    const escapedEvent = content(id, escaped);
    const parse = vi.spyOn(JSON, 'parse');
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const sink = new OpenAISink();
      expect(stream(sink, reads)).toBeUndefined();
      expect(sink.text).toBe(`${big}${Array.from({ length: 20 }, (_, i) => ` w${i}`).join('')}`);
      expect(sink.chunks).toBe(21);
      // Stamped at the read that completed the event (the 17th).
      expect(sink.firstTokenAt).toBe(Math.ceil(first.length / 65_536));
      // No copy of the megabyte was encoded to learn a shape from it.
      expect(stringify.mock.calls.some(([v]) => typeof v === 'string' && v.length > 4096)).toBe(false);
      // The big event and the first short one (and its shape's check); the other 19 by the shape.
      expect(parse.mock.calls.length).toBeLessThanOrEqual(4);
      // A later megabyte with an escape is parsed (its text decoded); one with a raw control character fails.
      const next = new OpenAISink();
      expect(stream(next, [content(id, ' a'), escapedEvent, DONE])).toBeUndefined();
      expect(next.text).toBe(` a${escaped}`);
      const raw = `data: {"id":"${id}","object":"chat.completion.chunk","created":1764686400,"model":"m","choices":[{"index":0,"delta":{"content":"${big.slice(0, 500_000)}\t${big.slice(500_000)}"},"logprobs":null,"finish_reason":null}]}\n\n`;
      expect(stream(new OpenAISink(), [content(id, ' a'), raw, DONE])?.kind).toBe('stream_error');
    } finally {
      parse.mockRestore();
      stringify.mockRestore();
    }
  });
});
