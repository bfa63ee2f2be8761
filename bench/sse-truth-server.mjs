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
//
// Long contexts (bench part F): a POST's body is read whole and checked (JSON; the words of its
// last message counted, `GET /bodies` reports them) before its clock starts, so TTFT truth runs
// from when the server has the whole request. Env TOKENS_PER_EVENT=K puts K tokens in each event
// (event j due at arrival + TTFT + j·K·ITL, it says `"x_n":K`); FIRST_EVENT_BYTES=B pads the first
// event's content to B bytes (a 1 MB event). Each request's truth — first write − whole request
// (ms), the request's upload (its first byte to its whole, ms) and its events' token counts — is
// in its first event (`x_truth`, `x_upload`) and, for an `x-bench-id`, in `GET /truth`
// ({ id: { ttft, upload, n: [...], arrival, firstWrite } }, forgotten once read). `x_arrival` /
// `arrival` (the whole request, epoch ms) and the first event's `x_sent` / `firstWrite` let a
// client on the same machine split its TTFT error in two legs: its send to the server's having the
// request, and the server's write to its read. Neither leg is the client's own code alone: each
// holds the kernel's delivery and the wake-up of a process waiting for it.
//
// HTTP/1.1 on plain `net` sockets, not node:http: at 500 streams × 200 chunks/s node:http's
// per-write cost made the server itself the limit (it offered 0.94 of the ideal tokens/s and
// wrote chunks up to 34 ms late at p99). The chunks due at once for a stream go out in one
// write, stamped just before it.
// Usage: node sse-truth-server.mjs PORT TTFT_MS ITL_MS TOKENS
import { createServer } from 'node:net';

const [port = '18090', ttft = '50', itl = '5', tokens = '64'] = process.argv.slice(2);
const TTFT = Number(ttft);
const ITL = Number(itl);
const TOKENS = Number(tokens);
const epoch = () => performance.timeOrigin + performance.now();
const PER_EVENT = Math.max(1, Number(process.env.TOKENS_PER_EVENT ?? 1));
const FIRST_BYTES = Number(process.env.FIRST_EVENT_BYTES ?? 0);
/** Whether the events carry the part F fields (x_n, x_truth); part C's stay as they were. */
const CONTEXT_MODE = process.env.TOKENS_PER_EVENT !== undefined || FIRST_BYTES > 0;
/** Per `x-bench-id`: the request's TTFT truth and its events' token counts. */
let truth = {};
/** Bodies of POSTs since the last `GET /bodies`: count, bytes, fewest and most words, bad ones. */
let bodies = { n: 0, minBytes: 0, maxBytes: 0, minWords: 0, maxWords: 0, bad: 0 };

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
/** One HTTP chunk of `text` (ASCII: its length in characters is its length in bytes). */
const httpChunk = (text) => `${text.length.toString(16)}\r\n${text}\r\n`;

/** An event's content: `k` tokens (' tok' each), padded with more to `bytes` when asked. */
const contentOf = (k, bytes) => ' tok'.repeat(Math.max(k, Math.ceil(bytes / 4)));
/** A part F event up to its stamps. */
const eventHead = (k, bytes) =>
  `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: contentOf(k, bytes) } }] }).slice(0, -1)},"x_n":${k},"x_due":`;
const EVENT_HEAD = eventHead(PER_EVENT, 0);
const FIRST_HEAD = eventHead(PER_EVENT, FIRST_BYTES);
/** The 1 MB event up to its stamps as an HTTP chunk, encoded once. */
const FIRST_CHUNK = Buffer.from(httpChunk(FIRST_HEAD));

/** The finish chunk, the usage chunk and [DONE], written together as they are due together. */
const TAIL = [
  { choices: [{ index: 0, delta: {}, finish_reason: 'length' }] },
  { choices: [], usage: { prompt_tokens: 1, completion_tokens: TOKENS } },
]
  .map((event) => `data: ${JSON.stringify(event)}\n\n`)
  .join('')
  .concat('data: [DONE]\n\n');
const SSE_HEAD =
  'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\ntransfer-encoding: chunked\r\n\r\n';

/** Checks a POST's body (JSON with messages or a prompt) and counts its last message's words. */
function checkBody(body) {
  let words = -1;
  try {
    const request = JSON.parse(body.toString('utf8'));
    const text = request.messages?.at(-1)?.content ?? request.prompt;
    if (typeof text === 'string') words = text === '' ? 0 : text.split(' ').length;
  } catch {}
  const b = bodies;
  if (words < 0) {
    b.bad++;
    return false;
  }
  b.minBytes = b.n === 0 ? body.length : Math.min(b.minBytes, body.length);
  b.maxBytes = Math.max(b.maxBytes, body.length);
  b.minWords = b.n === 0 ? words : Math.min(b.minWords, words);
  b.maxWords = Math.max(b.maxWords, words);
  b.n++;
  return true;
}

function quantile(sorted, q) {
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function json(socket, body) {
  const text = JSON.stringify(body);
  socket.write(
    `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n\r\n${text}`,
  );
}

function latenessReport() {
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
  return body;
}

/** Streams one answer on `socket`; calls `done` after its last chunk. */
function stream(socket, id, arrival, upload, done) {
  const kept = typeof id === 'string' ? [] : undefined;
  if (kept !== undefined) stamps[id] = kept;
  const told =
    typeof id === 'string' && CONTEXT_MODE
      ? { ttft: Number.NaN, upload, n: [], arrival, firstWrite: Number.NaN }
      : undefined;
  if (told !== undefined) truth[id] = told;
  // Headers go out now, as an SSE server's do, not with the first token.
  socket.write(SSE_HEAD);
  let i = 0;
  const first = arrival + TTFT;
  const send = () => {
    // Every chunk already due goes out now, in one write (a late timer must not push the rest
    // later still, and a second write in the same tick would wait in the socket's buffer).
    const now = epoch();
    let out = '';
    for (let due = first + i * ITL; due <= now && i < TOKENS; due = first + i * ITL) {
      if (CONTEXT_MODE) {
        // K tokens per event (the last may have fewer); the first says the request's TTFT truth.
        const k = Math.min(PER_EVENT, TOKENS - i);
        if (i === 0 && FIRST_BYTES > 0) {
          // The large event's bytes were encoded once, at start-up: its own HTTP chunk, then its
          // stamps in the next, in one writev, so its write stamp is not a megabyte's encoding early.
          socket.cork();
          socket.write(FIRST_CHUNK);
          socket.write(
            httpChunk(
              `${due},"x_sent":${now},"x_truth":${now - arrival},"x_upload":${upload},"x_arrival":${arrival}}\n\n`,
            ),
          );
          socket.uncork();
        } else {
          const head = i === 0 ? FIRST_HEAD : k === PER_EVENT ? EVENT_HEAD : eventHead(k, 0);
          const extra =
            i === 0 ? `,"x_truth":${now - arrival},"x_upload":${upload},"x_arrival":${arrival}` : '';
          out += httpChunk(`${head}${due},"x_sent":${now}${extra}}\n\n`);
        }
        if (told !== undefined) {
          if (i === 0) {
            told.ttft = now - arrival;
            told.firstWrite = now;
          }
          told.n.push(k);
        }
        i += k;
      } else {
        out += httpChunk(`${CHUNK_HEAD}${due},"x_sent":${now}}\n\n`);
        i++;
      }
      kept?.push(now);
      if (late.length < MAX_LATE) late.push(now - due);
    }
    if (i >= TOKENS) {
      socket.write(`${out}${httpChunk(TAIL)}0\r\n\r\n`);
      streams++;
      streamMs += epoch() - arrival;
      socket.timer = undefined;
      done();
      return;
    }
    if (out !== '') socket.write(out);
    socket.timer = setTimeout(send, Math.max(0, first + i * ITL - epoch()));
  };
  socket.timer = setTimeout(send, Math.max(0, first - epoch()));
}

/** Parses the head at the start of `text` (up to its blank line): method, path, lowercase headers. */
function parseHead(text) {
  const lines = text.split('\r\n');
  const [method, path] = lines[0].split(' ');
  const headers = {};
  for (let k = 1; k < lines.length; k++) {
    const colon = lines[k].indexOf(':');
    if (colon > 0) headers[lines[k].slice(0, colon).trim().toLowerCase()] = lines[k].slice(colon + 1).trim();
  }
  return { method, path, headers };
}

const server = createServer({ noDelay: true }, (socket) => {
  let input = Buffer.alloc(0);
  let busy = false;
  socket.on('error', () => undefined);
  socket.on('close', () => clearTimeout(socket.timer));
  /** Handles every complete request buffered, one at a time (a stream holds the connection). */
  const next = () => {
    while (!busy) {
      const end = input.indexOf('\r\n\r\n');
      if (end < 0) return;
      const { method, path, headers } = parseHead(input.toString('latin1', 0, end));
      const length = Number(headers['content-length'] ?? 0);
      if (input.length < end + 4 + length) return;
      // The whole request is here: its clock starts now, before its body is checked.
      const complete = epoch();
      const firstByte = socket.firstByte ?? complete;
      socket.firstByte = undefined;
      const body = input.subarray(end + 4, end + 4 + length);
      input = input.subarray(end + 4 + length);
      if (method === 'GET' && path === '/stamps') {
        json(socket, stamps);
        stamps = {};
      } else if (method === 'GET' && path === '/lateness') {
        json(socket, latenessReport());
      } else if (method === 'GET' && path === '/truth') {
        json(socket, truth);
        truth = {};
      } else if (method === 'GET' && path === '/bodies') {
        json(socket, bodies);
        bodies = { n: 0, minBytes: 0, maxBytes: 0, minWords: 0, maxWords: 0, bad: 0 };
      } else if (method === 'POST' && !checkBody(body)) {
        socket.write('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
      } else if (method === 'POST') {
        busy = true;
        stream(socket, headers['x-bench-id'], complete, complete - firstByte, () => {
          busy = false;
          next();
        });
      } else {
        // HEAD / (the bench's readiness check) and anything else.
        socket.write('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
      }
    }
  };
  socket.on('data', (data) => {
    // When the request now being read began to arrive (its upload time is in its truth).
    if (input.length === 0 && socket.firstByte === undefined) socket.firstByte = epoch();
    input = input.length === 0 ? data : Buffer.concat([input, data]);
    next();
  });
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
// Streams in flight end with the process: the bench stops the server between parts.
process.on('SIGTERM', () => process.exit(0));
