/**
 * A webhook receiver on 127.0.0.1 for notification tests: records every POST
 * (path, query, JSON body); it can fail the first N of them with a status,
 * or hang (accept the request and never answer).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedPost {
  path: string;
  body: unknown;
}

export interface WebhookServer {
  url: string;
  posts: ReceivedPost[];
  /** Requests that arrived, answered or not. */
  arrivals: number;
  close(): Promise<void>;
}

export interface WebhookOptions {
  /** Answer this many first requests with `failStatus` (default 500). */
  failFirst?: number;
  failStatus?: number;
  /** Never answer. */
  hang?: boolean;
}

export async function startWebhook(options: WebhookOptions = {}): Promise<WebhookServer> {
  const posts: ReceivedPost[] = [];
  const state = { arrivals: 0 };
  const server: Server = createServer((req, res) => {
    state.arrivals++;
    const n = state.arrivals;
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => {
      text += d;
    });
    req.on('end', () => {
      if (options.hang) return;
      if (n <= (options.failFirst ?? 0)) {
        res.writeHead(options.failStatus ?? 500).end('try again');
        return;
      }
      posts.push({ path: req.url ?? '', body: JSON.parse(text) });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    get arrivals() {
      return state.arrivals;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A URL nothing listens on: a server's port, after the server closed. */
export async function deadUrl(): Promise<string> {
  const s = await startWebhook();
  await s.close();
  return s.url;
}
