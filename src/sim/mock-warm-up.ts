/**
 * @module sim/mock-warm-up
 * Runs a few real requests through a throwaway mock server before the real one
 * listens. A fresh process compiles the HTTP server, the SSE writer and the
 * tokenizer on its first requests; without this, the first wave of a test
 * against a cold mock arrives 20-40 ms later than the profile says (measured:
 * TTFT 124-139 ms for `ttft_ms: 100` on the first 20 streams, 101-104 ms once
 * warm). The throwaway server has its own counters and random streams, so the
 * real server's answers, seeds and statistics are untouched.
 */
import { request } from 'node:http';

/** Streams per warm-up round and rounds; small enough to add well under 0.2 s to start-up. */
const STREAMS = 8;
const ROUNDS = 3;

/** What the warm-up needs of a server: its URL and a way to close it. */
interface Closable {
  readonly url: string;
  close(): Promise<void>;
}

function oneRequest(url: string, path: string, body: string): Promise<void> {
  return new Promise((resolve) => {
    const req = request(
      `${url}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.on('data', () => {});
        res.on('end', resolve);
        res.on('error', () => resolve());
      },
    );
    // A warm-up that fails only leaves the server cold; it never fails the start.
    req.on('error', () => resolve());
    req.end(body);
  });
}

/**
 * Starts `start()` (a mock server with a 1 ms TTFT: the delayed-answer path is
 * compiled too, ~2 ms of a first wave's median otherwise), sends it streaming
 * and non-streaming chat and completion requests, and closes it.
 */
export async function warmUpMock(start: () => Promise<Closable>): Promise<void> {
  const server = await start();
  try {
    const chat = (stream: boolean): string =>
      JSON.stringify({
        model: 'warm-up',
        stream,
        max_tokens: 32,
        messages: [{ role: 'user', content: 'Warm up the tokenizer, the parser and the writer.' }],
      });
    const completion = JSON.stringify({ model: 'warm-up', stream: true, max_tokens: 32, prompt: 'Warm up.' });
    for (let round = 0; round < ROUNDS; round++) {
      const sends: Promise<void>[] = [];
      for (let i = 0; i < STREAMS; i++) {
        sends.push(oneRequest(server.url, '/v1/chat/completions', chat(i % 4 !== 3)));
      }
      sends.push(oneRequest(server.url, '/v1/completions', completion));
      await Promise.all(sends);
    }
  } finally {
    await server.close();
  }
}
