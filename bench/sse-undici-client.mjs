// Anchor: a raw undici streaming consumer. C closed-loop streams for D seconds; per chunk it
// records receive time − the server's x_sent stamp (client lag), and per request TTFT and ITL.
// It also counts the tokens received in the steady part of the run, [1 s, SECONDS − 1 s) after
// the streams start (`steadyTokens`, over `steadySeconds`), as the bench counts every client's.
// Usage: node sse-undici-client.mjs URL STREAMS SECONDS -> JSON stats on stdout
import { Pool } from 'undici';

const [url, streams = '50', seconds = '10'] = process.argv.slice(2);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: Number(streams) });
const epoch = () => performance.timeOrigin + performance.now();
const body = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] });
const deadline = performance.now() + Number(seconds) * 1000;
const lag = [];
const ttft = [];
const itl = [];
let tokens = 0;
let steadyTokens = 0;
const started = performance.now();
const steadyFrom = started + 1000;
const steadyTo = started + (Number(seconds) - 1) * 1000;
async function loop() {
  while (performance.now() < deadline) {
    const sent = epoch();
    const res = await pool.request({
      path: target.pathname,
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    });
    let buffer = '';
    let last;
    for await (const piece of res.body) {
      const now = performance.now();
      const at = performance.timeOrigin + now;
      buffer += piece.toString();
      for (let cut = buffer.indexOf('\n\n'); cut >= 0; cut = buffer.indexOf('\n\n')) {
        const line = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (!line.startsWith('data: ') || line === 'data: [DONE]') continue;
        const chunk = JSON.parse(line.slice(6));
        if (chunk.x_sent === undefined) continue;
        lag.push(at - chunk.x_sent);
        if (last === undefined) ttft.push(at - sent);
        else itl.push(at - last);
        last = at;
        tokens++;
        if (now >= steadyFrom && now < steadyTo) steadyTokens++;
      }
    }
  }
}
await Promise.all(Array.from({ length: Number(streams) }, loop));
const elapsed = (performance.now() - started) / 1000;
const steadySeconds = (steadyTo - steadyFrom) / 1000;
console.log(JSON.stringify({ lag, ttft, itl, tokens, seconds: elapsed, steadyTokens, steadySeconds }));
await pool.close();
