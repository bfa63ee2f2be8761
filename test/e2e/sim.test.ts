/**
 * The simulated dependencies as users run them: `tokenstorm mock` (several
 * workers, /metrics) and `tokenstorm proxy`, with `tokenstorm run` driving
 * traffic through them on loopback.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli, tempDir } from '../support/cli.js';

const agent = new Agent({ connections: 16 });
afterAll(() => agent.close());

interface Served {
  url: string;
  child: ChildProcess;
  stop(): Promise<number | null>;
}
let running: Served[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

/** Starts a server command and resolves with the URL from its first stdout line. */
function serve(args: string[]): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no listening line from ${args.join(' ')}: ${err}`));
    }, 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const first = out.split('\n')[0] as string;
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first);
      if (m === null) {
        reject(new Error(`unexpected first line: ${first}`));
        return;
      }
      const served: Served = {
        url: m[1] as string,
        child,
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
          return exited;
        },
      };
      running.push(served);
      resolve(served);
    });
    child.once('exit', (code) => reject(new Error(`exited ${code} before listening: ${err}`)));
  });
}

function writeFile(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

async function metrics(url: string): Promise<Record<string, number>> {
  const res = await request(`${url}/metrics`, { dispatcher: agent });
  const out: Record<string, number> = {};
  for (const line of (await res.body.text()).split('\n')) {
    const m = /^([a-z_:]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) out[m[1] as string] = (out[m[1] as string] ?? 0) + Number(m[2]);
  }
  return out;
}

async function chat(url: string) {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }] }),
    dispatcher: agent,
  });
  await res.body.dump();
  return res;
}

const chatScenario = `
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 8, messages: [{ role: user, content: hi }] }
`;

describe('tokenstorm mock', () => {
  it('--workers 2 serves from two processes on one port; /metrics sums them; SIGINT stops all', async () => {
    const mock = await serve(['mock', '--workers', '2', '--seed', '3']);
    const replicas = new Set<string>();
    const all = await Promise.all(Array.from({ length: 12 }, () => chat(mock.url)));
    for (const res of all) {
      expect(res.statusCode).toBe(200);
      replicas.add(String(res.headers['x-mock-replica']));
    }
    expect([...replicas].sort()).toEqual(['0', '1']);
    expect((await metrics(mock.url))['vllm:request_success_total']).toBe(12);
    expect(await mock.stop()).toBe(0);
  });

  it('cancellation: the mock counts exactly the streams the run cancelled, and frees every slot', async () => {
    const dir = tempDir();
    const profile = writeFile(
      dir,
      'profile.yaml',
      'output_tokens: 100\nengine: { slots: 8, step_ms: 100, step_ms_per_running: 0 }\n',
    );
    const mock = await serve(['mock', '--profile', profile]);
    const test = writeFile(
      dir,
      'cancel.yaml',
      `name: cancel
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, messages: [{ role: user, content: hi }] }
load: { executor: constant-vus, vus: 4, duration: 1s, graceful_stop: 500ms }
`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--target', `${mock.url}/v1`, '--out', out, '--quiet']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts.cancelled).toBe(4);
    let m = await metrics(mock.url);
    for (let i = 0; i < 50 && m['tokenstorm:requests_aborted_total'] !== 4; i++) {
      await new Promise((r) => setTimeout(r, 20));
      m = await metrics(mock.url);
    }
    expect(m['tokenstorm:requests_aborted_total']).toBe(summary.counts.cancelled);
    expect(m['vllm:num_requests_running']).toBe(0);
    expect(m['vllm:num_requests_waiting']).toBe(0);
    expect(m['vllm:request_success_total']).toBe(0);
  });
});

describe('tokenstorm proxy', () => {
  it('prints its URL first, injects the fault file, and a run through it records the error kinds', async () => {
    const dir = tempDir();
    const mock = await serve(['mock', '--seed', '5']);
    const faults = writeFile(
      dir,
      'faults.yaml',
      'faults:\n  - { kind: error, match: "/v1/chat/*", status: 502 }\n',
    );
    const proxy = await serve(['proxy', '--upstream', mock.url, '--faults', faults]);
    const test = writeFile(
      dir,
      'through.yaml',
      `name: through\n${chatScenario}load: { executor: constant-vus, vus: 1, iterations: 3 }\n`,
    );
    const out = join(dir, 'run');
    const result = await runCli(['run', test, '--target', `${proxy.url}/v1`, '--out', out, '--quiet']);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.counts).toMatchObject({ requests: 3, errors: 3, byError: { http_5xx: 3 } });
    // Switch the fault off through the control API: the same run now passes cleanly.
    const cleared = await request(`${proxy.url}/__tokenstorm/faults`, {
      method: 'POST',
      body: '{"faults":[]}',
      dispatcher: agent,
    });
    expect(cleared.statusCode).toBe(200);
    await cleared.body.dump();
    const again = await runCli([
      'run',
      test,
      '--target',
      `${proxy.url}/v1`,
      '--out',
      join(dir, 'run2'),
      '--quiet',
    ]);
    expect(again.code).toBe(0);
    const clean = JSON.parse(readFileSync(join(dir, 'run2', 'summary.json'), 'utf8'));
    expect(clean.counts).toMatchObject({ requests: 3, errors: 0 });
    expect(await proxy.stop()).toBe(0);
  });

  it('exits 2 naming the file and field of a bad fault file, and without --upstream', async () => {
    const dir = tempDir();
    const bad = writeFile(dir, 'bad.yaml', 'faults:\n  - { kind: latency, delay_ms: fast }\n');
    const result = await runCli(['proxy', '--upstream', 'http://127.0.0.1:9', '--faults', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${bad}: faults[0].delay_ms: expected number, got "fast"`);
    const missing = await runCli(['proxy']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--upstream');
    const badUrl = await runCli(['proxy', '--upstream', 'ftp://x']);
    expect(badUrl.code).toBe(2);
    expect(badUrl.stderr).toContain('--upstream: expected an http(s) URL');
  });
});
