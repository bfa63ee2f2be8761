#!/usr/bin/env node
// Start-up of `tokenstorm run`: how long a user waits before the first request and after
// the load ends, and the process's peak RSS, for the quickstart (10 VUs, embedded mock).
// Each round launches the CLI afresh; the launch instant is taken just before the spawn,
// the first request from run.json's clock origin plus the earliest record's `sent`.
//   node bench/startup.mjs            (env: BENCH_REPS, STARTUP_TEST, STARTUP_SECONDS, STARTUP_ROOT)
// Prints a Markdown section; bench/run.mjs includes it as its `startup` part.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// STARTUP_ROOT: another build's directory (bin/, dist/, examples/), to compare two builds interleaved.
const root = process.env.STARTUP_ROOT ?? join(here, '..');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
};

/** One launch: { firstRequestMs, clockStartMs, afterLoadMs, rssMb, cpuMs }. */
async function launch(test, seconds) {
  const out = mkdtempSync(join(tmpdir(), 'tokenstorm-startup-'));
  const args = ['run', test, '--duration', `${seconds}s`, '--quiet', '--no-history', '--out', out];
  // GNU time reports the peak RSS of the whole process (every thread).
  const timed = [
    '-f',
    'maxrss_kb=%M cpu_s=%U+%S',
    process.execPath,
    join(root, 'bin', 'tokenstorm.js'),
    ...args,
  ];
  const launchedAt = performance.timeOrigin + performance.now();
  const child = spawn('/usr/bin/time', timed, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const code = await new Promise((resolve) => child.on('exit', resolve));
  const exitedAt = performance.timeOrigin + performance.now();
  if (code !== 0) throw new Error(`tokenstorm exited ${code}: ${stderr}`);
  const info = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
  let firstSent = Number.POSITIVE_INFINITY;
  for (const line of readFileSync(join(out, 'records.jsonl'), 'utf8').split('\n')) {
    if (line === '') continue;
    const sent = JSON.parse(line).sent;
    if (typeof sent === 'number' && sent < firstSent) firstSent = sent;
  }
  return {
    firstRequestMs: info.clockOriginEpochMs + firstSent - launchedAt,
    clockStartMs: info.clockOriginEpochMs - launchedAt,
    afterLoadMs: exitedAt - launchedAt - seconds * 1000,
    rssMb: Number(/maxrss_kb=(\d+)/.exec(stderr)?.[1]) / 1024,
    // CPU of all threads, start-up and load together: steadier than wall time on a busy box.
    cpuMs: (/cpu_s=([\d.]+)\+([\d.]+)/.exec(stderr) ?? [])
      .slice(1, 3)
      .reduce((a, x) => a + Number(x) * 1000, 0),
  };
}

/** Runs the rounds and returns the Markdown lines of the section. */
export async function startupPart({ reps = 5, test = 'examples/quickstart.yaml', seconds = 2 } = {}) {
  const rounds = [];
  for (let i = 0; i < reps; i++) rounds.push(await launch(test, seconds));
  const row = (label, key, unit, goal) => {
    const xs = rounds.map((r) => r[key]);
    const f = (x) => (unit === 'MB' ? x.toFixed(0) : (x / 1000).toFixed(2));
    return `| ${label} | ${f(median(xs))} ${unit === 'MB' ? 'MB' : 's'} | ${f(Math.min(...xs))}–${f(Math.max(...xs))} | ${goal} |`;
  };
  return [
    `## Start-up (${test}, ${seconds} s of load, ${reps} launches)`,
    '',
    'From launching `tokenstorm run` to its first request, and from the end of the load to the',
    "process's exit; the peak RSS and the CPU time of the whole process (every thread), by GNU time.",
    '',
    '| what | median | range | goal |',
    '| --- | --- | --- | --- |',
    row('launch → run clock starts', 'clockStartMs', 's', ''),
    row('launch → first request', 'firstRequestMs', 's', '≤ 1 s'),
    row('launch → exit, minus the load', 'afterLoadMs', 's', '≤ 1.5 s'),
    row('peak RSS', 'rssMb', 'MB', '≤ 150 MB'),
    row('CPU, all threads (start-up and load)', 'cpuMs', 's', ''),
    '',
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const lines = await startupPart({
    reps: Number(process.env.BENCH_REPS ?? 5),
    test: process.env.STARTUP_TEST ?? 'examples/quickstart.yaml',
    seconds: Number(process.env.STARTUP_SECONDS ?? 2),
  });
  console.log(lines.join('\n'));
}
