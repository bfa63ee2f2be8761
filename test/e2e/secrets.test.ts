/**
 * Secrets never reach an output: a real run sends keys in headers, a cookie,
 * a URL query and the target's userinfo to a loopback server (which checks
 * they arrived), fails requests whose messages quote the URL or echo the
 * key, and then no file of the run directory, no JUnit or Markdown file, and
 * neither stdout nor stderr holds any of the values.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { type FixtureServer, sseChunk, startFixtureServer } from '../support/fixture-server.js';

// None starts with `sk-`: the shape rules alone cannot catch them.
const SECRETS = {
  xApiKey: 'anthKEY-7f3a9c1e5b2d',
  azureKey: 'azureKEY-0c4e8a2f6d1b',
  cookie: 'cookieVAL-5e1d9b3f7a2c',
  bearer: 'bearerTOK-9a7c5e3b1d8f',
  query: 'queryKEY-2b8d4f6a0e3c',
  password: 'urlPASS-6d2f8b4e0a7c',
};

/** Header values the server saw, to prove the run really sent the secrets. */
const seen = { xApiKey: '', azureKey: '', cookie: '', authorization: '', query: '' };
let server: FixtureServer;
let closedPort = 0;

/** A port nothing listens on: bound once, then closed. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  closedPort = await freePort();
  server = await startFixtureServer((req, res) => {
    req.resume();
    const url = req.url ?? '';
    if (url.startsWith('/v1/chat/completions')) {
      seen.xApiKey = String(req.headers['x-api-key']);
      seen.azureKey = String(req.headers['api-key']);
      seen.cookie = String(req.headers.cookie);
      seen.authorization = String(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      sseChunk(res, ' hello');
      res.write(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\n`);
      return void res.end('data: [DONE]\n\n');
    }
    if (url.startsWith('/v1/models')) {
      seen.query = new URL(url, 'http://x').searchParams.get('api_key') ?? '';
      return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
    }
    if (url.startsWith('/v1/echo')) {
      // A server that quotes the credentials it rejects.
      return void res
        .writeHead(401)
        .end(
          `invalid key ${req.headers['x-api-key']} (auth ${req.headers.authorization}; ${req.headers.cookie})`,
        );
    }
    // As Express answers an unknown route: the request's URL, query and all, in the body.
    res.writeHead(404).end(`Cannot GET ${url}`);
  });
});
afterAll(() => server.close());

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('secrets', () => {
  it('no secret value reaches the run directory, JUnit, Markdown, stdout or stderr', async () => {
    const dir = tempDir();
    const port = new URL(server.url).port;
    const test = join(dir, 'secrets.yaml');
    writeFileSync(
      test,
      `name: secrets
target: http://tsuser:${SECRETS.password}@127.0.0.1:${port}/v1
headers:
  x-api-key: \${MYKEY}
  api-key: \${AZKEY}
  Cookie: session=${SECRETS.cookie}
  Authorization: Bearer ${SECRETS.bearer}
timeout: 5s
scenarios:
  - name: chat
    steps:
      - chat: { model: m, max_tokens: 8, messages: [{ role: user, content: hi }] }
      - http: { method: GET, url: "/models?api_key=${SECRETS.query}&page=1" }
  - name: echo
    steps:
      - http: { method: GET, url: /echo }
  - name: missing
    steps:
      - http: { method: GET, url: "/missing?api_key=${SECRETS.query}" }
  - name: refused
    steps:
      - http: { method: GET, url: "http://127.0.0.1:${closedPort}/refused?api_key=${SECRETS.query}" }
load: { executor: constant-vus, vus: 2, iterations: 40 }
thresholds:
  error_rate: ["< 0.01"]
`,
    );
    const out = join(dir, 'run');
    const junit = join(dir, 'junit.xml');
    const markdown = join(dir, 'summary.md');
    const env = { MYKEY: SECRETS.xApiKey };
    const run = await runCli(
      [
        'run',
        test,
        '--out',
        out,
        '-e',
        `AZKEY=${SECRETS.azureKey}`,
        '--junit',
        junit,
        '--markdown',
        markdown,
      ],
      { env, timeoutMs: 90_000 },
    );
    // The failing scenarios fail the error-rate threshold; the run itself completes.
    expect(run.code, run.stderr).toBe(99);

    // The secrets were sent: without them arriving, finding none would prove nothing.
    expect(seen).toEqual({
      xApiKey: SECRETS.xApiKey,
      azureKey: SECRETS.azureKey,
      cookie: `session=${SECRETS.cookie}`,
      authorization: `Bearer ${SECRETS.bearer}`,
      query: SECRETS.query,
    });
    // The failures whose messages quoted the URL and echoed the keys were recorded.
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { scenario: string; error?: string; message?: string });
    const errorOf = (scenario: string) =>
      records.find((r) => r.scenario === scenario && r.error !== undefined);
    expect(errorOf('echo')?.message).toMatch(/^HTTP 401: invalid key \[redacted\]/);
    expect(errorOf('missing')?.message).toBe('HTTP 404: Cannot GET /v1/missing?api_key=[redacted]');
    expect(errorOf('refused')?.error).toBe('connection');
    expect(records.some((r) => r.scenario === 'chat' && r.error === undefined)).toBe(true);
    expect(run.stderr).toContain('against http://[redacted]@127.0.0.1');

    /** Where each secret appears in the files under `dir` (but the test file) and in `streams`. */
    const leaks = (streams: Record<string, string>): string[] => {
      const outputs: [string, string][] = [
        ...filesUnder(dir)
          .filter((path) => path !== test)
          .map((path): [string, string] => [path.replace(dir, ''), readFileSync(path, 'utf8')]),
        ...Object.entries(streams),
      ];
      const names = outputs.map(([name]) => name);
      for (const file of ['/run/run.json', '/run/records.jsonl', '/run/summary.json', '/run/report.html'])
        expect(names).toContain(file);
      const found: string[] = [];
      for (const [name, text] of outputs)
        for (const [which, secret] of Object.entries(SECRETS))
          if (text.includes(secret)) found.push(`${which} in ${name}`);
      return found;
    };
    expect(leaks({ stdout: run.stdout, stderr: run.stderr })).toEqual([]);
    expect(existsSync(junit) && existsSync(markdown)).toBe(true);

    // `report` rebuilds summary.json and report.html from the records, and writes JUnit, Markdown and JSON.
    const rebuilt = await runCli(
      ['report', out, '--json', '--junit', join(dir, 'junit2.xml'), '--markdown', join(dir, 'summary2.md')],
      { timeoutMs: 60_000 },
    );
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(leaks({ stdout: rebuilt.stdout, stderr: rebuilt.stderr })).toEqual([]);
  });
});
