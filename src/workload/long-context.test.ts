/**
 * Long contexts end to end over real HTTP: a 128K-token synthetic prompt reaches the server
 * whole, and an answer that comes as one 1 MiB SSE event is read whole (issue 35 item 8:
 * clients with a 64-128 KB line buffer fail or crawl there).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, readBody, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { synthVocabulary } from './prompt-synth.js';

const PROMPT_TOKENS = 131_072;
/** ' the' is one token alone, and o200k splits at spaces: this many repeats are this many tokens. */
const ANSWER_TOKENS = 262_144;
const ANSWER = ' the'.repeat(ANSWER_TOKENS);

describe('long contexts on the wire', () => {
  let server: FixtureServer | undefined;
  afterEach(async () => {
    await server?.close();
  });

  it('sends a 128K-token prompt whole and reads a 1 MiB SSE event whole, counting it only when the server does not', async () => {
    const received: { length: number; declared: number; words: string[] }[] = [];
    server = await startFixtureServer(async (req, res) => {
      const body = await readBody(req);
      const request = JSON.parse(body) as { messages: { role: string; content: string }[] };
      received.push({
        length: Buffer.byteLength(body),
        declared: Number(req.headers['content-length']),
        words: (request.messages.at(-1)?.content ?? '').split(' '),
      });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const event = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ANSWER } }] })}\n\n`;
      // The one event in uneven pieces on separate turns, so it spans many reads.
      const cuts = [0, 1000, 70_000, 600_001, event.length];
      for (let k = 1; k < cuts.length; k++) {
        res.write(event.slice(cuts[k - 1], cuts[k]));
        await new Promise((r) => setImmediate(r));
      }
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      // The first answer without usage (the client's count is the only one), the second with it.
      if (received.length > 1) {
        const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: ANSWER_TOKENS };
        res.write(`data: ${JSON.stringify({ choices: [], usage })}\n\n`);
      }
      res.end('data: [DONE]\n\n');
    });
    const workload = workloadFor(
      {
        timeout: '60s',
        scenarios: [
          {
            name: 'long',
            steps: [
              {
                chat: {
                  model: 'm',
                  stream: true,
                  synthetic: { prompt_tokens: PROMPT_TOKENS, max_tokens: 16 },
                },
              },
            ],
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 2 });

    expect(received).toHaveLength(2);
    const vocabulary = new Set(synthVocabulary());
    for (const got of received) {
      expect(got.length).toBe(got.declared);
      expect(got.length).toBeGreaterThan(500_000);
      expect(got.words).toHaveLength(PROMPT_TOKENS);
      expect(got.words.every((w) => vocabulary.has(w))).toBe(true);
    }

    const [bare, counted] = [...records].sort((a, b) => a.iteration - b.iteration);
    for (const record of [bare, counted]) {
      expect(record?.outcome).toBe('ok');
      expect(record?.chunks).toBe(1);
      expect(record?.inputTokensClient).toBe(PROMPT_TOKENS);
      expect(record?.ttftMs).toBeGreaterThan(0);
    }
    // Without usage, the client's own count of the text it read: the whole MiB, not a prefix of it.
    expect(bare?.outputTokens).toBeUndefined();
    expect(bare?.outputTokensClient).toBe(ANSWER_TOKENS);
    // With usage, a MiB that came at once is not counted again by the client (docs/limits.md).
    expect(counted?.outputTokens).toBe(ANSWER_TOKENS);
    expect(counted?.outputTokensClient).toBeUndefined();
  }, 120_000);
});
