// Anchor: the raw undici Pool ceiling. C closed-loop workers GET a URL for D seconds.
// Usage: node undici-loop.mjs URL CONNECTIONS SECONDS  -> prints {"requests":N,"seconds":S}
import { Pool } from 'undici';

const [url, connections = '50', seconds = '10'] = process.argv.slice(2);
const target = new URL(url);
const pool = new Pool(target.origin, { connections: Number(connections), pipelining: 1 });
const deadline = performance.now() + Number(seconds) * 1000;
let requests = 0;
async function loop() {
  while (performance.now() < deadline) {
    const { body } = await pool.request({ path: target.pathname, method: 'GET' });
    await body.dump();
    requests++;
  }
}
const started = performance.now();
await Promise.all(Array.from({ length: Number(connections) }, loop));
console.log(JSON.stringify({ requests, seconds: (performance.now() - started) / 1000 }));
await pool.close();
