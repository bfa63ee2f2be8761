// Ground-truth SSE server: OpenAI-style chat chunks, token i due at arrival + TTFT + i*ITL
// (absolute deadlines), each chunk stamped with the epoch ms it was written (`x_sent`) and
// was due (`x_due`), so a client's own lag can be told from the server's.
// A request with an `x-bench-id` header has its chunks' write stamps kept under that id;
// `GET /stamps` returns them ({ id: [epoch ms, …] }) and forgets them, so a client that does not
// parse the stamps itself (tokenstorm) can be checked against them afterwards.
// `GET /lateness` returns how late the server itself wrote its token chunks (write stamp − due
// time, ms: { n, p50, p99 }) and how long its streams took from arrival to [DONE] ({ streams,
// meanStreamMs }) since the last such call, so a client is judged only where the server was on
// time, and against the tokens/s the server offered.
// Usage: node sse-truth-server.mjs PORT TTFT_MS ITL_MS TOKENS
import { createServer } from 'node:http';

const [port = '18090', ttft = '50', itl = '5', tokens = '64'] = process.argv.slice(2);
const TTFT = Number(ttft);
const ITL = Number(itl);
const TOKENS = Number(tokens);
const epoch = () => performance.timeOrigin + performance.now();

/** Write stamps of the token chunks of requests that carried an `x-bench-id`. */
let stamps = {};
/** Write stamp − due time of every token chunk since the last `GET /lateness` (the first 5 million). */
let late = [];
const MAX_LATE = 5_000_000;
/** Streams finished since the last `GET /lateness` and the sum of their times from arrival to [DONE] (ms). */
let streams = 0;
let streamMs = 0;
/** A token chunk up to its stamps: only `x_due` and `x_sent` change from chunk to chunk. */
const CHUNK_HEAD = `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ' tok' } }] }).slice(0, -1)},"x_due":`;
/** The finish chunk, the usage chunk and [DONE], written together as they are due together. */
const TAIL = [
  { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
  { choices: [], usage: { prompt_tokens: 1, completion_tokens: TOKENS } },
]
  .map((event) => `data: ${JSON.stringify(event)}\n\n`)
  .join('')
  .concat('data: [DONE]\n\n');

function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

const server = createServer({ noDelay: true, keepAliveTimeout: 60_000 }, (req, res) => {
  if (req.method === 'GET' && req.url === '/stamps') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stamps));
    stamps = {};
    return;
  }
  if (req.method === 'GET' && req.url === '/lateness') {
    const sorted = Float64Array.from(late).sort();
    late = [];
    const body = {
      n: sorted.length,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      streams,
      meanStreamMs: streams > 0 ? streamMs / streams : 0,
    };
    streams = 0;
    streamMs = 0;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
    const first = arrival + TTFT;
    const send = () => {
      // Every chunk already due goes out now (a late timer must not push the rest later still).
      for (let due = first + i * ITL, now = epoch(); due <= now && i < TOKENS; due = first + i * ITL) {
        res.write(`${CHUNK_HEAD}${due},"x_sent":${now}}\n\n`);
        kept?.push(now);
        if (late.length < MAX_LATE) late.push(now - due);
        i++;
        now = epoch();
      }
      if (i >= TOKENS) {
        res.end(TAIL);
        streams++;
        streamMs += epoch() - arrival;
        return;
      }
      timer = setTimeout(send, Math.max(0, first + i * ITL - epoch()));
    };
    timer = setTimeout(send, TTFT);
    res.on('close', () => clearTimeout(timer));
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
