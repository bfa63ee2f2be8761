// Anchor for part F: a raw undici streaming consumer of the truth server's long-context mode.
// C closed-loop streams for D seconds, each sending a prompt of P words; per request its TTFT
// error (TTFT from the start of its send − the server's truth in the first event, `x_truth`),
// and the tokens it received (each event's `x_n`) in the steady part of the run, [1 s, D − 1 s).
// Usage: node context-undici-client.mjs URL STREAMS SECONDS PROMPT_WORDS MAX_TOKENS [PROMPT_FILE] -> JSON on stdout
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';

const [url, streams = '4', seconds = '5', words = '1000', maxTokens = '8192'] = process.argv.slice(2);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: Number(streams) });
// PROMPT_FILE (6th argument): the exact prompt text tokenstorm sends, so bodies are the same size.
const promptFile = process.argv[7];
const prompt =
  promptFile !== undefined
    ? readFileSync(promptFile, 'utf8')
    : Array.from({ length: Number(words) }, () => 'tok').join(' ');
const deadline = performance.now() + Number(seconds) * 1000;
const ttftErr = [];
const upload = [];
/** The error's two legs (epoch clocks of one machine): send → server has the request; server's write → read. */
const requestLeg = [];
const responseLeg = [];
const errors = {};
let tokens = 0;
let steadyTokens = 0;
let requests = 0;
const started = performance.now();
const steadyFrom = started + 1000;
const steadyTo = started + (Number(seconds) - 1) * 1000;
async function loop() {
  while (performance.now() < deadline) {
    const sent = performance.now();
    const body = JSON.stringify({
      model: 'm',
      stream: true,
      max_tokens: Number(maxTokens),
      messages: [{ role: 'user', content: prompt }],
    });
    try {
      const res = await pool.request({
        path: target.pathname,
        method: 'POST',
        body,
        headers: { 'content-type': 'application/json' },
      });
      let buffer = '';
      let first = true;
      for await (const piece of res.body) {
        const now = performance.now();
        buffer += piece.toString();
        for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
          const line = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
          const chunk = JSON.parse(line.slice(6));
          if (chunk.x_n === undefined) continue;
          if (first) {
            ttftErr.push(now - sent - chunk.x_truth);
            upload.push(chunk.x_upload);
            requestLeg.push(chunk.x_arrival - (performance.timeOrigin + sent));
            responseLeg.push(performance.timeOrigin + now - chunk.x_sent);
          }
          first = false;
          tokens += chunk.x_n;
          if (now >= steadyFrom && now < steadyTo) steadyTokens += chunk.x_n;
        }
      }
      requests++;
    } catch (error) {
      const key = String(error?.message ?? error).slice(0, 80);
      errors[key] = (errors[key] ?? 0) + 1;
    }
  }
}
await Promise.all(Array.from({ length: Number(streams) }, loop));
const elapsed = (performance.now() - started) / 1000;
const steadySeconds = (steadyTo - steadyFrom) / 1000;
console.log(
  JSON.stringify({
    ttftErr,
    upload,
    requestLeg,
    responseLeg,
    tokens,
    seconds: elapsed,
    steadyTokens,
    steadySeconds,
    requests,
    errors,
  }),
);
await pool.close();
