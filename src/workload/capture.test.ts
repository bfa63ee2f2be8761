import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, readBody, startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { compileJsonPath, queryJsonPath } from '../protocols/json-path.js';
import type { Vu } from './vu.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Login issues a token (JSON body), a CSRF header and a session cookie; chat checks all three. */
async function appServer(options: { csrf?: boolean; tokenTtl?: number } = {}) {
  let issued = 0;
  const seen: { path: string; auth?: string; status: number }[] = [];
  const valid = new Set<string>();
  server = await startFixtureServer(async (req, res) => {
    const body = await readBody(req);
    if (req.url === '/login') {
      const token = `tok-${++issued}`;
      valid.add(token);
      if (options.tokenTtl !== undefined) setTimeout(() => valid.delete(token), options.tokenTtl);
      const headers: Record<string, string | string[]> = {
        'content-type': 'application/json',
        'set-cookie': [`theme=dark; Path=/`, `session=s-${issued}; HttpOnly; Path=/`],
      };
      if (options.csrf !== false) headers['x-csrf-token'] = `csrf-${issued}`;
      res.writeHead(200, headers).end(JSON.stringify({ user: { id: 7 }, auth: { token } }));
      seen.push({ path: '/login', status: 200 });
      return;
    }
    const auth = req.headers.authorization ?? '';
    const ok =
      valid.has(auth.replace('Bearer ', '')) &&
      req.headers['x-csrf-token'] === `csrf-${auth.replace('Bearer tok-', '')}` &&
      req.headers.cookie === `session=s-${auth.replace('Bearer tok-', '')}`;
    seen.push({ path: req.url ?? '', auth, status: ok ? 200 : 401 });
    if (!ok) {
      res.writeHead(401).end('{"error":"unauthorized"}');
      return;
    }
    const question = (JSON.parse(body) as { messages: { content: string }[] }).messages[0]?.content;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ choices: [{ message: { content: `answer to ${question}` }, finish_reason: 'stop' }] }),
    );
  });
  return { url: server.url, seen };
}

const loginStep = {
  http: {
    method: 'POST' as const,
    url: '/login',
    body: { user: 'vu-{{ vu }}' },
    capture: {
      token: { json: '$.auth.token' },
      csrf: { header: 'x-csrf-token' },
      session: { cookie: 'session' },
      userId: { regex: '"id":(\\d+)' },
    },
  },
};
const chatStep = {
  chat: {
    model: 'm',
    stream: false,
    headers: {
      authorization: 'Bearer {{ vars.token }}',
      'x-csrf-token': '{{ vars.csrf }}',
      cookie: 'session={{ vars.session }}',
    },
    messages: [{ role: 'user' as const, content: 'question from user {{ vars.userId }}' }],
  },
};

describe('captures and templates', () => {
  it('logs in, captures token, CSRF header, cookie and a regex, then chats with them', async () => {
    const app = await appServer();
    const workload = workloadFor({ scenarios: [{ name: 'app', steps: [loginStep, chatStep] }] }, app.url);
    const records = await runWorkload(workload, { iterations: 3 });
    expect(records.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'ok']);
    expect(app.seen.filter((s) => s.path !== '/login').map((s) => s.status)).toEqual([200, 200, 200]);
    expect(app.seen[1]?.auth).toBe('Bearer tok-1');
  });

  it('fails the step with check_failed naming a capture that found nothing', async () => {
    const app = await appServer({ csrf: false });
    const workload = workloadFor({ scenarios: [{ name: 'app', steps: [loginStep, chatStep] }] }, app.url);
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'error', error: 'check_failed', stepName: 'http:0' });
    expect(records[0]?.message).toContain('capture "csrf" (header x-csrf-token) found nothing');
  });

  it('fails a step whose template reads a variable not set yet, naming it, without sending', async () => {
    const app = await appServer();
    // Another scenario captures the token (so the file is valid), but this VU never ran it.
    const scenarios = [
      { name: 'app', steps: [chatStep] },
      { name: 'login', weight: 0, steps: [loginStep] },
    ];
    const workload = workloadFor({ scenarios }, app.url);
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records[0]).toMatchObject({
      outcome: 'error',
      error: 'script_error',
      kind: 'script',
      stepName: 'chat:0',
    });
    expect(records[0]?.message).toContain('vars.token is not set');
    expect(app.seen).toHaveLength(0);
  });

  it('lets a TypeScript flow refresh an expired token on 401 and retry the step', async () => {
    const app = await appServer({ tokenTtl: 150 });
    const flow = async (vu: Vu) => {
      if (vu.vars.token === undefined) await vu.http(loginStep.http);
      await vu.think(200); // long enough for the token to expire
      let r = await vu.chat(chatStep.chat);
      if (r.status === 401) {
        await vu.http(loginStep.http);
        r = await vu.chat(chatStep.chat);
      }
      vu.vars.lastAnswer = r.body;
    };
    const workload = workloadFor({ scenarios: [{ name: 'app', flow }] }, app.url);
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records.map((r) => [r.stepName, r.status])).toEqual([
      ['POST /login', 200],
      ['chat', 401],
      ['POST /login', 200],
      ['chat', 200],
    ]);
    expect(app.seen.at(-1)).toMatchObject({ auth: 'Bearer tok-2', status: 200 });
  });

  it('records a flow that throws as a script_error with its message, not as a request', async () => {
    const app = await appServer();
    const flow = async (vu: Vu) => {
      await vu.chat({ model: 'm', messages: [] });
    };
    const workload = workloadFor({ scenarios: [{ name: 'app', flow }] }, app.url);
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records[0]).toMatchObject({
      outcome: 'error',
      error: 'script_error',
      stepName: 'flow',
      kind: 'script',
    });
    expect(records[0]?.message).toContain('vu.chat(): chat.messages: expected at least one message');
  });
});

describe('JSONPath subset', () => {
  const doc = { a: { 'b-c': [1, { d: 'x' }] }, items: [{ id: 3 }, { id: 4 }], deep: { x: { token: 't' } } };
  it.each([
    ['$.a.b-c[1].d', 'x'],
    ["$['a']['b-c'][0]", 1],
    ['$.items[-1].id', 4],
    ['$.items[*].id', 3],
    ['$..token', 't'],
    ['$.missing', undefined],
  ])('%s', (path, expected) => {
    expect(queryJsonPath(compileJsonPath(path), doc)).toEqual(expected);
  });
  it('rejects filter scripts (no code execution)', () => {
    expect(() => compileJsonPath('$.items[?(@.id > 3)]')).toThrow(/unsupported/);
  });
});
