/**
 * Redirects and compressed answers over `https://` (undici's transport): a
 * real TLS server on 127.0.0.1 with a certificate made for the test by openssl.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { constants, createGzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../test/support/fixture-server.js';
import { selfSignedCert } from '../../test/support/tls.js';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { HttpClient } from './http1/index.js';
import { compileStep, runStep } from './steps.js';

let server: Server;
let origin: string;
const connections: Socket[] = [];
const landed: string[] = [];
let tlsBefore: string | undefined;
const client = new HttpClient();

beforeAll(async () => {
  const { key, cert } = selfSignedCert();
  server = createServer({ key, cert }, async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/v1/chat/completions') {
      return void res.writeHead(308, { location: '/v2/chat/completions' }).end();
    }
    landed.push(`${req.method} ${req.url} ${body.length > 0}`);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
    const gzip = createGzip();
    gzip.pipe(res);
    gzip.write(`data: ${JSON.stringify({ choices: [{ delta: { content: ' secure' } }] })}\n\n`);
    gzip.flush(constants.Z_SYNC_FLUSH);
    setTimeout(() => {
      gzip.end(
        `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
      );
    }, 100);
  });
  server.on('connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Node reads this for each TLS connection; the test's own certificate is the only one it meets.
  tlsBefore = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
});

afterAll(async () => {
  await client.destroy();
  if (tlsBefore === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
  else process.env.NODE_TLS_REJECT_UNAUTHORIZED = tlsBefore;
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('https through undici', { timeout: 15_000 }, () => {
  it('follows a 308 with the POST body and decodes the gzip stream it leads to', async () => {
    const target = `${origin}/v1`;
    const test = parseTest(
      {
        target,
        scenarios: [
          { name: 's', steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'x' }] } }] },
        ],
        load: { executor: 'constant-vus', vus: 1, iterations: 1 },
      },
      'inline',
    );
    const step = compileStep(test.scenarios[0]?.steps?.[0] as never, 0, {
      target,
      headers: {},
      timeoutMs: 5_000,
    });
    const m = await runStep(step, { dispatcher: client, clock: createClock() });
    expect(m).toMatchObject({
      outcome: 'ok',
      status: 200,
      encoding: 'gzip',
      chunks: 1,
      outputTokensClient: 1,
    });
    expect(m.redirects).toEqual([
      { status: 308, location: `${origin}/v2/chat/completions`, ms: expect.any(Number) },
    ]);
    expect(landed).toEqual(['POST /v2/chat/completions true']);
    // The output came before the end of the stream (100 ms later), not with it.
    expect(m.ttftMs).toBeLessThan(m.e2eMs as number);
  });
});
