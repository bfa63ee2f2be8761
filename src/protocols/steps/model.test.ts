import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { warmReplies } from './model.js';

/** The output chunks of an SSE answer and its usage. */
function readStream(body: string): { chunks: number; completion: number | undefined } {
  let chunks = 0;
  let completion: number | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (event.data === '[DONE]') return;
      const payload = JSON.parse(event.data) as {
        choices: { delta?: { content?: string }; text?: string }[];
        usage?: { completion_tokens: number };
      };
      const choice = payload.choices[0];
      if ((choice?.delta?.content ?? choice?.text ?? '') !== '') chunks++;
      if (payload.usage) completion = payload.usage.completion_tokens;
    },
  });
  parser.feed(body);
  return { chunks, completion };
}

describe('the warm-up answers of a model step', () => {
  it('stream a long answer now and then, a few times, so a run’s first long answer meets warm code', () => {
    for (const chat of [true, false]) {
      const reply = warmReplies(chat);
      const lengths = Array.from({ length: 200 }, () => readStream(reply('{"stream":true}').body));
      const long = lengths.flatMap((r, k) => (r.chunks > 3 ? [k] : []));
      expect(long).toEqual([15, 31, 47, 63]);
      for (const k of long) expect(lengths[k]).toEqual({ chunks: 4096, completion: 4096 });
      expect(lengths[0]).toEqual({ chunks: 3, completion: 3 });
      // A JSON answer stays short.
      expect(reply('{"stream":false}').contentType).toBe('application/json');
    }
  });
});
