/**
 * Server processes for recipe tests: started on 127.0.0.1, read back from
 * their first `listening on URL` line (or a ready pattern), stopped at the end.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { ROOT } from './cli.js';

export interface ServedProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Resolves when stdout matches; group 1, when present, is the URL. Default: `listening on URL`. */
  ready?: RegExp;
  /** URL to report when `ready` has no group. */
  url?: string;
  timeoutMs?: number;
}

/** Runs `node ...args` from the repo root until it says it is listening. */
export function serveProcess(args: string[], options: ServeOptions = {}): Promise<ServedProcess> {
  const ready = options.ready ?? /listening on (http:\/\/127\.0\.0\.1:\d+)/;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let out = '';
    let err = '';
    let done = false;
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not start in time: ${out.slice(-500)} ${err.slice(-500)}`));
    }, options.timeoutMs ?? 20_000);
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout?.on('data', (d: Buffer) => {
      if (done) return;
      out += d.toString();
      const m = ready.exec(out);
      if (m === null) return;
      done = true;
      clearTimeout(timer);
      resolve({ url: m[1] ?? options.url ?? '', child, stop });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!done)
        reject(new Error(`${args.join(' ')} exited ${code} before it was ready: ${err.slice(-1000)}`));
    });
  });
}

/** A port free on 127.0.0.1 now, for servers that cannot be told to pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Reads one metric (summed over labels) from a Prometheus /metrics URL. */
export async function scrapeMetric(metricsUrl: string, name: string): Promise<number> {
  const res = await fetch(metricsUrl);
  const text = await res.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.split(' ').pop());
  }
  return sum;
}
