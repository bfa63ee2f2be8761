// The floor of part F: a client that does the least any client must do to see a first token. It
// writes the request on a plain socket and stamps the first event when its last byte has arrived
// (the end of the event found in the de-chunked bytes), before decoding or parsing anything; the
// event is parsed after the stamp, so no JSON, string or framework cost is in its TTFT. What it
// shows is the time the kernel and one Node process take to deliver the bytes: a client's TTFT
// error below this on this machine is not possible.
// Same protocol and output as context-undici-client.mjs (C closed-loop streams for D seconds).
// Usage: node context-socket-client.mjs URL STREAMS SECONDS PROMPT_WORDS MAX_TOKENS [PROMPT_FILE] -> JSON on stdout
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const [url, streams = '4', seconds = '5', words = '1000', maxTokens = '8192'] = process.argv.slice(2);
const target = new URL(url);
// PROMPT_FILE (6th argument): the exact prompt text tokenstorm sends, so bodies are the same size.
const promptFile = process.argv[7];
const prompt =
  promptFile !== undefined
    ? readFileSync(promptFile, 'utf8')
    : Array.from({ length: Number(words) }, () => 'tok').join(' ');
const deadline = performance.now() + Number(seconds) * 1000;
const out = { ttftErr: [], upload: [], requestLeg: [], responseLeg: [], errors: {} };
let tokens = 0;
let steadyTokens = 0;
let requests = 0;
const started = performance.now();
const steadyFrom = started + 1000;
const steadyTo = started + (Number(seconds) - 1) * 1000;
const LF = 10;

/**
 * An HTTP/1.1 chunked response's body, de-chunked as bytes arrive, cut into SSE events at each
 * blank line; `onEvent(bytes, at)` gets each event's bytes and the time its last byte arrived.
 */
class ChunkedEvents {
  constructor(onEvent, onEnd) {
    this.onEvent = onEvent;
    this.onEnd = onEnd;
    this.head = true;
    this.pending = Buffer.alloc(0);
    this.left = -1; // bytes left in the current HTTP chunk; -1: a size line comes next
    this.parts = []; // the current event's bytes so far
    this.lastByte = -1; // the last body byte seen, to find "\n\n" across parts
  }

  push(data, at) {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, data]) : data;
    this.pending = Buffer.alloc(0);
    if (this.head) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.pending = buf;
        return;
      }
      buf = buf.subarray(end + 4);
      this.head = false;
    }
    let i = 0;
    while (i < buf.length) {
      if (this.left < 0) {
        const eol = buf.indexOf('\r\n', i);
        if (eol < 0) {
          this.pending = buf.subarray(i);
          return;
        }
        const size = Number.parseInt(buf.toString('latin1', i, eol), 16);
        i = eol + 2;
        if (size === 0) {
          this.onEnd();
          return;
        }
        this.left = size;
        continue;
      }
      if (this.left === 0) {
        // The CRLF after a chunk's data.
        if (buf.length - i < 2) {
          this.pending = buf.subarray(i);
          return;
        }
        i += 2;
        this.left = -1;
        continue;
      }
      const end = Math.min(buf.length, i + this.left);
      this.body(buf.subarray(i, end), at);
      this.left -= end - i;
      i = end;
    }
  }

  /** Body bytes: an event ends at "\n\n" (scanned once per byte, as they come). */
  body(part, at) {
    let from = 0;
    let k = part[0] === LF && this.lastByte === LF ? 0 : part.indexOf('\n\n');
    while (k >= 0) {
      this.parts.push(part.subarray(from, k + 1));
      const event = Buffer.concat(this.parts);
      this.parts = [];
      this.onEvent(event, at);
      from = k + 2;
      k = part.indexOf('\n\n', from);
    }
    if (from < part.length) this.parts.push(part.subarray(from));
    this.lastByte = part[part.length - 1];
  }
}

function loop() {
  return new Promise((resolve) => {
    const socket = connect(Number(target.port), target.hostname);
    socket.setNoDelay(true);
    let reader;
    const next = () => {
      if (performance.now() >= deadline) {
        socket.end();
        resolve();
        return;
      }
      const body = JSON.stringify({
        model: 'm',
        stream: true,
        max_tokens: Number(maxTokens),
        messages: [{ role: 'user', content: prompt }],
      });
      const sent = performance.now();
      let first = true;
      reader = new ChunkedEvents(
        (event, at) => {
          // Stamped at arrival above; parsed only now.
          const text = event.toString('utf8');
          if (!text.startsWith('data: ') || text.startsWith('data: [DONE]')) return;
          const chunk = JSON.parse(text.slice(6));
          if (chunk.x_n === undefined) return;
          if (first) {
            out.ttftErr.push(at - sent - chunk.x_truth);
            out.upload.push(chunk.x_upload);
            out.requestLeg.push(chunk.x_arrival - (performance.timeOrigin + sent));
            out.responseLeg.push(performance.timeOrigin + at - chunk.x_sent);
          }
          first = false;
          tokens += chunk.x_n;
          if (at >= steadyFrom && at < steadyTo) steadyTokens += chunk.x_n;
        },
        () => {
          requests++;
          next();
        },
      );
      socket.write(
        `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    };
    socket.on('data', (data) => reader.push(data, performance.now()));
    socket.on('error', (error) => {
      const key = String(error?.message ?? error).slice(0, 80);
      out.errors[key] = (out.errors[key] ?? 0) + 1;
      resolve();
    });
    socket.on('connect', next);
  });
}

await Promise.all(Array.from({ length: Number(streams) }, loop));
console.log(
  JSON.stringify({
    ...out,
    tokens,
    seconds: (performance.now() - started) / 1000,
    steadyTokens,
    steadySeconds: (steadyTo - steadyFrom) / 1000,
    requests,
  }),
);
