/**
 * Redirects against loopback servers: method and body kept or not by status
 * (checked where the request lands), chains, loops, `max_redirects: 0`,
 * credentials dropped across origins, and hop timing in the measurement.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type FixtureServer,
  readBody,
  sseChunk,
  startFixtureServer,
} from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { parseTest } from '../config/index.js';
import { createClock } from '../core/index.js';
import { HttpClient } from './http1/index.js';
import type { CompiledStep } from './step-kind.js';
import { compileStep, runStep, sendStep } from './steps.js';

const dispatcher = new HttpClient();
afterAll(() => dispatcher.close());

const servers: FixtureServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = await startFixtureServer(handler);
  servers.push(server);
  return server.url;
}

/** A step of a test on `target`, compiled as the workload compiles it (test-level fields included). */
function compile(
  target: string,
  step: Record<string, unknown>,
  top: Record<string, unknown> = {},
): CompiledStep {
  const test = parseTest(
    {
      target,
      ...top,
      scenarios: [{ name: 's', steps: [step] }],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
  return compileStep(test.scenarios[0]?.steps?.[0] as never, 0, {
    target,
    headers: test.headers,
    timeoutMs: 5_000,
    maxRedirects: test.max_redirects,
  });
}

function run(step: CompiledStep) {
  return runStep(step, { dispatcher, clock: createClock() });
}

interface Landed {
  method: string;
  url: string;
  body: string;
  headers: IncomingMessage['headers'];
}

/** A server that answers `/from` with `status` to `/to`, and records the request that lands on `/to`. */
async function redirecting(status: number): Promise<{ url: string; landed: Landed[] }> {
  const landed: Landed[] = [];
  const url = await serve(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/from') return void res.writeHead(status, { location: '/to' }).end('moved');
    landed.push({ method: req.method as string, url: req.url as string, body, headers: req.headers });
    res.writeHead(200, { 'content-type': 'text/plain' }).end('landed');
  });
  return { url, landed };
}

describe('following redirects', () => {
  it.each([
    [301, 'GET', ''],
    [302, 'GET', ''],
    [303, 'GET', ''],
    [307, 'POST', '{"q":1}'],
    [308, 'POST', '{"q":1}'],
  ])('after a %i, a POST lands as %s with body %j', async (status, method, body) => {
    const { url, landed } = await redirecting(status);
    const m = await run(compile(url, { http: { method: 'POST', url: '/from', body: { q: 1 } } }));
    expect(m).toMatchObject({ outcome: 'ok', status: 200 });
    expect(m.redirects).toEqual([{ status, location: `${url}/to`, ms: expect.any(Number) }]);
    expect(landed).toHaveLength(1);
    expect(landed[0]).toMatchObject({ method, url: '/to', body });
    // A body dropped takes its content-type with it.
    expect(landed[0]?.headers['content-type']).toBe(body === '' ? undefined : 'application/json');
  });

  it('keeps a PUT and its body through a 301, and turns it into a GET after a 303', async () => {
    for (const [status, method, body] of [
      [301, 'PUT', 'data'],
      [303, 'GET', ''],
    ] as const) {
      const { url, landed } = await redirecting(status);
      const m = await run(compile(url, { http: { method: 'PUT', url: '/from', body: 'data' } }));
      expect(m.outcome).toBe('ok');
      expect(landed[0]).toMatchObject({ method, body });
    }
  });

  it('follows a chain, timing each hop, with TTFB and E2E from the first request sent', async () => {
    const url = await serve((req, res) => {
      const next: Record<string, string> = { '/a': '/b', '/b': '/c?token=s3cret', '/c': `/d#frag` };
      const to = next[(req.url as string).replace(/\?.*/, '')];
      if (to === undefined) return void res.end('end of the chain');
      // The first hop is slow: the user waits for it, so TTFB must include it.
      setTimeout(() => res.writeHead(302, { location: to }).end(), req.url === '/a' ? 120 : 0);
    });
    const m = await run(compile(url, { http: { method: 'GET', url: '/a' } }));
    expect(m).toMatchObject({ outcome: 'ok', status: 200 });
    // The query (a secret here) and the fragment are left out of the record.
    expect(m.redirects?.map((h) => [h.status, h.location])).toEqual([
      [302, `${url}/b`],
      [302, `${url}/c`],
      [302, `${url}/d`],
    ]);
    expect(JSON.stringify(m)).not.toContain('s3cret');
    const hops = m.redirects ?? [];
    expect(hops[0]?.ms).toBeGreaterThanOrEqual(110);
    expect(m.ttfbMs).toBeGreaterThanOrEqual((hops[0]?.ms ?? 0) + (hops[1]?.ms ?? 0) + (hops[2]?.ms ?? 0) - 1);
    expect(m.e2eMs).toBeGreaterThanOrEqual(m.ttfbMs as number);
  });

  it('measures TTFT of a streamed chat answer from the first request sent, across a 307', async () => {
    const landed: string[] = [];
    const url = await serve(async (req, res) => {
      const body = await readBody(req);
      if (req.url === '/v1/chat/completions') {
        return void setTimeout(() => res.writeHead(307, { location: '/v2/chat/completions' }).end(), 80);
      }
      landed.push(`${req.method} ${req.url} ${JSON.parse(body).model}`);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' hi');
      res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.end('data: [DONE]\n\n');
    });
    const m = await run(
      compile(`${url}/v1`, { chat: { model: 'm', messages: [{ role: 'user', content: 'x' }] } }),
    );
    expect(m).toMatchObject({ outcome: 'ok', status: 200, chunks: 1 });
    expect(landed).toEqual(['POST /v2/chat/completions m']);
    expect(m.redirects?.[0]?.ms).toBeGreaterThanOrEqual(75);
    expect(m.ttftMs).toBeGreaterThanOrEqual(m.redirects?.[0]?.ms as number);
  });

  it('fails a redirect loop with http_3xx after max_redirects hops', async () => {
    let requests = 0;
    const url = await serve((_req, res) => {
      requests++;
      res.writeHead(302, { location: '/loop' }).end();
    });
    const m = await run(compile(url, { http: { method: 'GET', url: '/loop', max_redirects: 3 } }));
    expect(m).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 302 });
    expect(m.message).toBe(`more than 3 redirects (max_redirects: 3); the last, HTTP 302, to ${url}/loop`);
    expect(m.redirects).toHaveLength(3);
    expect(requests).toBe(4);
    // Even a step that expects a 302: a loop is not an answer.
    const expecting = await run(
      compile(url, { http: { method: 'GET', url: '/loop', expect_status: 302 } }, { max_redirects: 2 }),
    );
    expect(expecting).toMatchObject({ outcome: 'error', error: 'http_3xx' });
    expect(expecting.redirects).toHaveLength(2);
  });

  it('records a redirect as http_3xx with max_redirects: 0, for http and chat steps alike', async () => {
    const { url, landed } = await redirecting(301);
    const http = await run(compile(url, { http: { method: 'GET', url: '/from' } }, { max_redirects: 0 }));
    expect(http).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 301 });
    expect(http.message).toBe(`HTTP 301 to ${url}/to, not followed (max_redirects: 0)`);
    expect(http.redirects).toBeUndefined();
    const chatUrl = await serve((_req, res) => res.writeHead(307, { location: '/elsewhere' }).end());
    const chat = await run(
      compile(chatUrl, {
        chat: { model: 'm', max_redirects: 0, messages: [{ role: 'user', content: 'x' }] },
      }),
    );
    expect(chat).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 307 });
    expect(landed).toHaveLength(0);
    // A step that expects the redirect gets it, as an ok answer.
    const expected = await run(
      compile(url, { http: { method: 'GET', url: '/from', expect_status: 301, max_redirects: 0 } }),
    );
    expect(expected).toMatchObject({ outcome: 'ok', status: 301 });
  });

  it('does not count a 3xx that is not a redirect (304) as an error of an http step', async () => {
    const url = await serve((_req, res) => res.writeHead(304).end());
    expect(await run(compile(url, { http: { method: 'GET', url: '/' } }))).toMatchObject({
      outcome: 'ok',
      status: 304,
    });
  });

  it('gives a redirect without a usable Location as http_3xx with the reason', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/none') return void res.writeHead(302).end();
      if (req.url === '/bad')
        return void res.writeHead(302, { location: 'http://admin:hunter2@[bad/x?k=v' }).end();
      res.writeHead(301, { location: 'ftp://127.0.0.1/file' }).end();
    });
    const none = await run(compile(url, { http: { method: 'GET', url: '/none' } }));
    expect(none).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 302 });
    expect(none.message).toBe('HTTP 302 without a Location header: nothing to follow');
    const ftp = await run(compile(url, { http: { method: 'GET', url: '/ftp' } }));
    expect(ftp).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 301 });
    expect(ftp.message).toBe('HTTP 301 to a ftp: URL, which is not followed');
    const bad = await run(compile(url, { http: { method: 'GET', url: '/bad' } }));
    expect(bad).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 302 });
    expect(bad.message).toBe('HTTP 302 with an invalid Location header: "http://[redacted]@[bad/x"');
  });

  it('drops Authorization and Cookie on a redirect to another origin, and keeps them on the same one', async () => {
    const seen: { where: string; headers: IncomingMessage['headers'] }[] = [];
    const other = await serve((req, res) => {
      seen.push({ where: 'other', headers: req.headers });
      res.end('other origin');
    });
    const first = await serve((req, res) => {
      seen.push({ where: req.url as string, headers: req.headers });
      if (req.url === '/start') return void res.writeHead(302, { location: '/same' }).end();
      res.writeHead(307, { location: `${other}/landing` }).end();
    });
    const step = compile(first, {
      http: {
        method: 'GET',
        url: '/start',
        headers: { Authorization: 'Bearer sk-secret', Cookie: 'session=1', 'X-Trace': 't1' },
      },
    });
    const m = await run(step);
    expect(m).toMatchObject({ outcome: 'ok', status: 200 });
    expect(m.redirects?.map((h) => h.location)).toEqual([`${first}/same`, `${other}/landing`]);
    expect(seen.map((s) => s.where)).toEqual(['/start', '/same', 'other']);
    expect(seen[1]?.headers).toMatchObject({ authorization: 'Bearer sk-secret', cookie: 'session=1' });
    expect(seen[2]?.headers.authorization).toBeUndefined();
    expect(seen[2]?.headers.cookie).toBeUndefined();
    expect(seen[2]?.headers['x-trace']).toBe('t1');
    expect(seen[2]?.headers.host).toBe(new URL(other).host);
  });

  it('keeps the final response for captures, and times out a chain that takes too long as a whole', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/login') return void res.writeHead(303, { location: '/token' }).end();
      if (req.url === '/token') return void res.writeHead(200, { 'x-token': 'abc' }).end('{"token":"abc"}');
      // /slow: each hop takes 150 ms, forever.
      setTimeout(() => res.writeHead(302, { location: '/slow' }).end(), 150);
    });
    const sent = await sendStep(
      compile(url, { http: { method: 'POST', url: '/login', body: 'u=1' } }),
      {
        dispatcher,
        clock: createClock(),
      },
      { keepBody: true },
    );
    expect(sent.response).toMatchObject({ status: 200, body: '{"token":"abc"}' });
    expect(sent.response.headers['x-token']).toBe('abc');
    const step = { ...compile(url, { http: { method: 'GET', url: '/slow' } }), timeoutMs: 400 };
    const m = await run(step);
    expect(m).toMatchObject({ outcome: 'error', error: 'timeout' });
    expect(m.redirects?.length).toBeGreaterThanOrEqual(1);
  });

  it("takes the test's max_redirects in fixed and templated steps, sessions and flows", async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.writeHead(301, { location: '/moved' }).end();
    });
    const chat = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }] };
    const workload = workloadFor(
      {
        max_redirects: 0,
        scenarios: [
          { name: 'fixed', steps: [{ chat }] },
          { name: 'templated', steps: [{ http: { method: 'GET', url: '/t{{ random.int(1,1) }}' } }] },
          { name: 'session', session: { turns: 1, user_messages: ['hi'], chat: { model: 'm' } } },
          {
            name: 'flow',
            flow: async (vu) => {
              await vu.http({ method: 'GET', url: '/f' });
            },
          },
        ],
      },
      url,
    );
    const records = await runWorkload(workload, { iterations: 24 });
    expect(new Set(records.map((r) => r.scenario))).toEqual(
      new Set(['fixed', 'templated', 'session', 'flow']),
    );
    for (const r of records) {
      expect(r, r.scenario).toMatchObject({ outcome: 'error', error: 'http_3xx', status: 301 });
      expect(r.message, r.scenario).toContain('not followed (max_redirects: 0)');
      expect(r.redirects, r.scenario).toBeUndefined();
    }
  });
});
