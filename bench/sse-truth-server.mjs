// Ground-truth SSE server: OpenAI-style chat chunks, token i due at arrival + TTFT + i*ITL
// (absolute deadlines), each chunk stamped with the epoch ms it was written (`x_sent`) and
// was due (`x_due`), so a client's own lag can be told from the server's.
// A request with an `x-bench-id` header has its chunks' write stamps kept under that id;
// `GET /stamps` returns them ({ id: [epoch ms, …] }) and forgets them, so a client that does not
// parse the stamps itself (tokenstorm) can be checked against them afterwards.
// Usage: node sse-truth-server.mjs PORT TTFT_MS ITL_MS TOKENS
import { createServer } from 'node:http';

const [port = '18090', ttft = '50', itl = '5', tokens = '64'] = process.argv.slice(2);
const TTFT = Number(ttft);
const ITL = Number(itl);
const TOKENS = Number(tokens);
const epoch = () => performance.timeOrigin + performance.now();

/** Write stamps of the token chunks of requests that carried an `x-bench-id`. */
let stamps = {};

const server = createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.method === 'GET' && req.url === '/stamps') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stamps));
    stamps = {};
    return;
  }
  const id = req.headers['x-bench-id'];
  const kept = typeof id === 'string' ? [] : undefined;
  if (kept !== undefined) stamps[id] = kept;
  req.resume();
  req.on('end', () => {
    const arrival = epoch();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // Headers go out now, as an SSE server's do, not with the first token.
    res.flushHeaders();
    let i = 0;
    let timer;
    const send = () => {
      const due = arrival + TTFT + i * ITL;
      const sent = epoch();
      const chunk = { choices: [{ index: 0, delta: { content: ' tok' } }], x_due: due, x_sent: sent };
      res.write(`data: ${JSON.stringify(chunk)}\n\n`);
      kept?.push(sent);
      i++;
      if (i >= TOKENS) {
        res.write(
          `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\n`,
        );
        res.write(
          `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 1, completion_tokens: TOKENS } })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
        return;
      }
      timer = setTimeout(send, Math.max(0, arrival + TTFT + i * ITL - epoch()));
    };
    timer = setTimeout(send, TTFT);
    res.on('close', () => clearTimeout(timer));
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
