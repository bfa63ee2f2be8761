/**
 * `https://` origins go through undici's TLS (client.ts): a real TLS server
 * on 127.0.0.1 with a certificate made for the test by Debian's openssl.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selfSignedCert } from '../../../test/support/tls.js';
import { createClock } from '../../core/index.js';
import { exchange, type ResponseSink } from '../exchange.js';
import { HttpClient } from './index.js';

let server: Server;
let origin: string;
const connections: Socket[] = [];

beforeAll(async () => {
  const { key, cert } = selfSignedCert();
  server = createServer({ key, cert }, (req, res) => res.end(`tls ${req.method} ${req.url}`));
  server.on('connection', (socket: Socket) => connections.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const socket of connections) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

/** Collects a response's body as text. */
function textSink(): ResponseSink & { text: string; status: number } {
  return {
    text: '',
    status: 0,
    onStart(status) {
      this.status = status;
    },
    onData(chunk) {
      this.text += chunk.toString('utf8');
      return undefined;
    },
    onEnd: () => undefined,
  };
}

function get(client: HttpClient, path: string) {
  const sink = textSink();
  const result = exchange(
    client,
    createClock(),
    { origin, path, method: 'GET', headers: {}, timeoutMs: 5_000 },
    sink,
  );
  return result.then((r) => ({ ...r, sink }));
}

describe('HttpClient over https', { timeout: 10_000 }, () => {
  it('refuses a certificate it cannot verify, as a connection error, and warms no connection to it', async () => {
    const client = new HttpClient();
    try {
      const refused = await get(client, '/refused');
      expect(refused.failure?.kind).toBe('connection');
      expect(refused.failure?.message).toMatch(/self[- ]signed|certificate/i);
      expect(await client.warm(origin, 2)).toBe(0);
    } finally {
      await client.destroy();
    }
  });

  it('sends requests through undici over TLS when the certificate is trusted, the first on the warmed connection', async () => {
    // Node reads this for each TLS connection; the test's own certificate is the only one it meets.
    const before = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const client = new HttpClient();
    try {
      const opened = connections.length;
      expect(await client.warm(origin, 1)).toBe(1);
      const first = await get(client, '/one');
      // The warmed connection served the first request.
      expect(connections.length - opened).toBe(1);
      const second = await get(client, '/two?x=1');
      expect(first.failure).toBeUndefined();
      expect([first.sink.status, first.sink.text]).toEqual([200, 'tls GET /one']);
      expect([second.sink.status, second.sink.text]).toEqual([200, 'tls GET /two?x=1']);
    } finally {
      await client.destroy();
      if (before === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = before;
    }
  });
});
