import { describe, expect, it } from 'vitest';
import { createRng } from '../random/index.js';
import { ChunkShape } from './chunk-shape.js';

/** What the reader takes from a parsed chunk: its delta content or completion text, if nothing else. */
function parsedOutput(data: string): string | undefined {
  let payload: {
    choices?: { delta?: { content?: unknown }; text?: unknown; finish_reason?: unknown }[];
    usage?: unknown;
    error?: unknown;
  };
  try {
    payload = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (payload === null || typeof payload !== 'object' || payload.error !== undefined || payload.usage) {
    return undefined;
  }
  const choice = payload.choices?.[0];
  if (choice === undefined || choice.finish_reason) return undefined;
  const out = typeof choice.text === 'string' ? choice.text : choice.delta?.content;
  return typeof out === 'string' ? out : undefined;
}

/** A vLLM / OpenAI chat chunk. */
const vllm = (content: string, created = 1764686400) =>
  `{"id":"chatcmpl-9a1b","object":"chat.completion.chunk","created":${created},"model":"m","choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}},"logprobs":null,"finish_reason":null}]}`;
/** The bench's ground-truth chunk: stamps after the choices, new in every chunk. */
const stamped = (content: string, due: number, sent: number) =>
  `{"choices":[{"index":0,"delta":{"content":${JSON.stringify(content)}}}],"x_due":${due},"x_sent":${sent}}`;
const completion = (text: string) =>
  `{"id":"cmpl-1","object":"text_completion","created":1,"model":"m","choices":[{"index":0,"text":${JSON.stringify(text)},"logprobs":null,"finish_reason":null}]}`;

function learned(data: string, key: string, output: string): ChunkShape {
  const shape = ChunkShape.learn(data, key, output, parsedOutput);
  if (shape === undefined) throw new Error(`no shape learned from ${data}`);
  return shape;
}

describe('ChunkShape', () => {
  it('reads a chunk of the learned shape without parsing, whatever its output', () => {
    const shape = learned(vllm(' Hello'), 'content', ' Hello');
    expect(shape.outputOf(vllm(' world'))).toBe(' world');
    expect(shape.outputOf(vllm(''))).toBe('');
    expect(shape.outputOf(vllm('日本語 ü'))).toBe('日本語 ü');
    const text = learned(completion('a'), 'text', 'a');
    expect(text.outputOf(completion(' b'))).toBe(' b');
  });

  it('lets JSON numbers outside strings change (stamps, a ticking created), nothing else', () => {
    const shape = learned(stamped(' tok', 1764686400123.456, 1764686400124.5), 'content', ' tok');
    expect(shape.outputOf(stamped(' x', 1764686400128.456, 1764686400129))).toBe(' x');
    expect(shape.outputOf(stamped(' x', 5e-3, -12))).toBe(' x');
    const chat = learned(vllm(' a', 1764686400), 'content', ' a');
    expect(chat.outputOf(vllm(' b', 1764686401))).toBe(' b');
    // Not a valid number: left to JSON.parse, which rejects it.
    expect(shape.outputOf(stamped(' x', 1, 2).replace('"x_sent":2', '"x_sent":2.'))).toBeUndefined();
    expect(shape.outputOf(stamped(' x', 1, 2).replace('"x_sent":2', '"x_sent":02'))).toBeUndefined();
    expect(shape.outputOf(stamped(' x', 1, 2).replace('"x_sent":2', '"x_sent":1e'))).toBeUndefined();
    // A number where a string or a literal was: another structure.
    expect(chat.outputOf(vllm(' b').replace('"logprobs":null', '"logprobs":0'))).toBeUndefined();
  });

  it('leaves to JSON.parse every chunk that says more than its output', () => {
    const shape = learned(vllm(' Hello'), 'content', ' Hello');
    const finish = vllm(' end').replace('"finish_reason":null', '"finish_reason":"stop"');
    const usage = vllm(' end').replace(']}', '],"usage":{"completion_tokens":3}}');
    const reasoning = vllm(' end').replace('{"content"', '{"reasoning_content":"r","content"');
    const otherId = vllm(' end').replace('chatcmpl-9a1b', 'chatcmpl-9a1c');
    for (const data of [
      finish,
      usage,
      reasoning,
      otherId,
      vllm('with "quotes"'),
      vllm('line\nbreak'),
      vllm('tab\there'),
      `${vllm(' x')} `,
      vllm(' x').slice(0, -1),
      '[DONE]',
      '',
    ]) {
      expect(shape.outputOf(data), data).toBeUndefined();
    }
  });

  it('learns nothing it cannot locate or check', () => {
    // The output needs escapes, or appears twice, or is not where the reader finds it.
    expect(ChunkShape.learn(vllm('a"b'), 'content', 'a"b', parsedOutput)).toBeUndefined();
    const twice = `{"choices":[{"delta":{"content":"x"}}],"echo":{"content":"x"}}`;
    expect(ChunkShape.learn(twice, 'content', 'x', parsedOutput)).toBeUndefined();
    const elsewhere = `{"choices":[{"delta":{}}],"message":{"content":"x"}}`;
    expect(ChunkShape.learn(elsewhere, 'content', 'x', parsedOutput)).toBeUndefined();
    // Spaces after the colon: the needle is not found (the chunk is parsed, as before).
    expect(
      ChunkShape.learn('{"choices":[{"delta":{"content": "x"}}]}', 'content', 'x', parsedOutput),
    ).toBeUndefined();
  });

  it('reads a 1 MiB output exactly, and declines one with an escape or a control character anywhere in it', () => {
    const shape = learned(stamped(' tok', 1, 2), 'content', ' tok');
    const big = ' tok'.repeat(1 << 18);
    expect(shape.outputOf(stamped(big, 3, 4))).toBe(big);
    const wide = `${'é日'.repeat(300_000)}😀`;
    expect(shape.outputOf(stamped(wide, 3, 4))).toBe(wide);
    // Around the switch from the loop to the native scan, and far past it.
    for (const length of [255, 256, 257, 5000, big.length]) {
      const plain = 'x'.repeat(length);
      expect(shape.outputOf(stamped(plain, 5, 6)), `${length}`).toBe(plain);
      for (const at of [0, length >> 1, length - 1]) {
        for (const c of ['"', '\\', '\n', '\t', '\u0000', '\u001f']) {
          const odd = plain.slice(0, at) + c + plain.slice(at + 1);
          // An escape (JSON.stringify writes one) or the raw character (JSON.parse rejects it).
          const escaped = stamped(odd, 5, 6);
          const raw = `{"choices":[{"index":0,"delta":{"content":"${odd}"}}],"x_due":5,"x_sent":6}`;
          expect(shape.outputOf(escaped), `${length} ${at} ${JSON.stringify(c)}`).toBeUndefined();
          expect(parsedOutput(escaped)).toBe(odd);
          expect(shape.outputOf(raw), `${length} ${at} raw ${JSON.stringify(c)}`).toBeUndefined();
        }
      }
    }
    // A long output whose chunk says more after it (another tail): declined.
    expect(shape.outputOf(`${stamped(big, 3, 4).slice(0, -1)},"x_truth":50}`)).toBeUndefined();
  });

  it('agrees with JSON.parse on thousands of mutated chunks: the same output, or it declines', () => {
    const rng = createRng(7);
    const templates = [
      { data: vllm(' tok'), key: 'content' },
      { data: stamped(' tok', 1764686400123.25, 1764686400124.75), key: 'content' },
      { data: completion(' tok'), key: 'text' },
    ];
    const alphabet = '"\\{}[],:0123456789.eE+- abcnulltrue\n\t';
    let matched = 0;
    let declined = 0;
    for (const { data, key } of templates) {
      const shape = learned(data, key, ' tok');
      for (let n = 0; n < 4000; n++) {
        // One to three edits: replace, insert or delete a character anywhere.
        let s = data;
        const edits = 1 + Math.floor(rng() * 3);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(rng() * (s.length + 1));
          const c = alphabet[Math.floor(rng() * alphabet.length)] as string;
          const op = rng();
          s =
            op < 0.4
              ? s.slice(0, at) + c + s.slice(at + 1)
              : op < 0.8
                ? s.slice(0, at) + c + s.slice(at)
                : s.slice(0, at) + s.slice(at + 1);
        }
        const fast = shape.outputOf(s);
        if (fast === undefined) declined++;
        else {
          matched++;
          expect(parsedOutput(s), s).toBe(fast);
        }
      }
    }
    // Both paths were exercised (most edits break the shape; those in the output or a number keep it).
    expect(matched).toBeGreaterThan(400);
    expect(declined).toBeGreaterThan(5000);
  });
});
