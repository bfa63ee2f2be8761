/**
 * A small HTTP server on 127.0.0.1 whose handler a test chooses: misbehaving
 * upstreams (500s, cut streams, garbage SSE) for protocol tests.
 */
import { createServer } from 'node:http';
export async function startFixtureServer(handler) {
  const server = createServer(handler);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
/** Writes one SSE event with an OpenAI chat chunk carrying `content`. */
export function sseChunk(res, content) {
  const chunk = { id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] };
  res.write(`data: ${JSON.stringify(chunk)}\n\n`);
}
/** Reads a request body fully. */
export async function readBody(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}
