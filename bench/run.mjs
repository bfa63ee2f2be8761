#!/usr/bin/env node
// tokenstorm's generator benchmark: starts its own targets on 127.0.0.1, runs tokenstorm and
// the anchor tools in the same run, pinned with taskset (target on CPU 1, generator on CPU 0),
// prints ratios and writes bench/RESULTS.md (bench/RESULTS-partial.md when PARTS names only
// some parts). Bounded: every tool runs for BENCH_SECONDS.
//   bash bench/setup.sh && node bench/run.mjs   (PARTS=http,open,sse,memory,scaling,context,startup BENCH_SECONDS=10 BENCH_REPS=3)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startupPart } from './startup.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** Interleaved rounds of the tools a goal compares (median reported), as ../shared/bench-reference does. */
const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 3));
const OPEN_RATE = Number(process.env.OPEN_RATE ?? 20000);
const OPEN_SECONDS = Number(process.env.OPEN_SECONDS ?? 30);
const STREAMS = (process.env.STREAMS ?? '50,250,500').split(',').map(Number);
const PARTS = new Set((process.env.PARTS ?? 'http,open,sse,memory,scaling,context,startup').split(','));
const pinned = spawnSync('taskset', ['--version']).status === 0 && cpus().length >= 2;
const bin = (name) => join(here, 'node_modules', '.bin', name);
const tmp = mkdtempSync(join(tmpdir(), 'tokenstorm-bench-'));
const out = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};

function pin(cpu, cmd, args) {
  return pinned ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args];
}

/** Runs a command to completion (bounded), returning stdout. */
function run(cpu, cmd, args, limitS = SECONDS + 60) {
  const [c, a] = pin(cpu, cmd, args);
  const r = spawnSync(c, a, { cwd: root, encoding: 'utf8', timeout: limitS * 1000, maxBuffer: 1 << 30 });
  if (r.status !== 0 && r.status !== 99)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Starts a server on CPU 1 (with more environment, when given) and waits for its port to answer. */
async function server(cmd, args, url, env = {}) {
  const [c, a] = pin(1, cmd, args);
  const child = spawn(c, a, { cwd: root, stdio: 'ignore', env: { ...process.env, ...env } });
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url, { method: 'HEAD' });
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill();
  throw new Error(`${cmd} did not start`);
}

const pct = (xs, p) => {
  if (xs.length === 0) return Number.NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const int = (x) => Math.round(x).toLocaleString('en-US');

function tokenstorm(cpu, testFile, args) {
  const dir = join(tmp, `run-${Math.random().toString(36).slice(2)}`);
  run(
    cpu,
    process.execPath,
    [join(root, 'bin/tokenstorm.js'), 'run', testFile, '--out', dir, '--quiet', ...args],
    SECONDS + OPEN_SECONDS + 120,
  );
  return {
    summary: JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')),
    info: JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')),
    dir,
  };
}

/** Median of a few numbers (the middle one, or the mean of the middle two). */
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** "median (a / b / c)" when there were several rounds. */
const withRounds = (xs, fmt) =>
  xs.length > 1 ? `${fmt(median(xs))} (${xs.map(fmt).join(' / ')})` : fmt(xs[0]);

async function httpPart() {
  const nginx = await server('nginx', ['-c', join(here, 'nginx.conf')], 'http://127.0.0.1:18080/');
  try {
    const url = 'http://127.0.0.1:18080/';
    // The goal's three are interleaved, REPS rounds of each, so a slow phase of the machine
    // falls on all of them; the ratio is each round's (neighbours in time), then the median.
    const ours = [];
    const cannon = [];
    const raw = [];
    for (let rep = 0; rep < REPS; rep++) {
      const ts = tokenstorm(0, join(here, 'http-loop.yaml'), ['--workers', '1', '--duration', `${SECONDS}s`]);
      ours.push(ts.summary.counts.requests / ts.summary.durationS);
      if (existsSync(bin('autocannon'))) {
        const j = JSON.parse(run(0, bin('autocannon'), ['-c', '50', '-d', String(SECONDS), '--json', url]));
        cannon.push(j['2xx'] / (j.duration ?? SECONDS));
      }
      const u = JSON.parse(
        run(0, process.execPath, [join(here, 'undici-loop.mjs'), url, '50', String(SECONDS)]),
      );
      raw.push(u.requests / u.seconds);
    }
    const rows = [
      ['tokenstorm (records on)', ours],
      ['autocannon', cannon],
      ['undici Pool (raw)', raw],
    ].filter(([, xs]) => xs.length > 0);
    // wrk and hey set the scale (what C and Go reach); once each.
    for (const [name, cmd, args] of [
      ['wrk -t1', 'wrk', ['-t1', '-c50', `-d${SECONDS}s`, url]],
      ['hey', 'hey', ['-z', `${SECONDS}s`, '-c', '50', url]],
    ]) {
      if (spawnSync('which', [cmd]).status !== 0) continue;
      const m = /Requests\/sec:\s+([\d.]+)/.exec(run(0, cmd, args));
      if (m) rows.push([name, [Number(m[1])]]);
    }
    const ratio = (xs) => median(ours.map((x, i) => x / (xs[i] ?? xs[0])));
    say(`## A. Plain HTTP, closed loop, 50 connections, ${SECONDS} s, nginx on CPU 1, generator on CPU 0`);
    say();
    say(
      `tokenstorm, autocannon and raw undici ran interleaved, ${REPS} round(s); req/s is the median (each round's in brackets), and "tokenstorm ÷ it" the median of the rounds' ratios. wrk and hey ran once.`,
    );
    say();
    say('| generator | req/s | tokenstorm ÷ it |');
    say('|---|---|---|');
    for (const [name, xs] of rows) say(`| ${name} | ${withRounds(xs, int)} | ${f(ratio(xs))} |`);
    say();
    if (cannon.length > 0) say(`Goal: tokenstorm ≥ 1.0× autocannon [floor 0.75×]: **${f(ratio(cannon))}×**`);
    say();
  } finally {
    nginx.kill();
  }
}

/** Mean requests per window (the steady ones a caller passes: a summary's windows without the first and last). */
const meanRequests = (windows) => windows.reduce((a, w) => a + w.requests, 0) / Math.max(1, windows.length);

async function openPart() {
  const nginx = await server('nginx', ['-c', join(here, 'nginx.conf')], 'http://127.0.0.1:18080/');
  try {
    const ts = tokenstorm(0, join(here, 'http-loop.yaml'), [
      '--workers',
      '1',
      '--rate',
      String(OPEN_RATE),
      '--duration',
      `${OPEN_SECONDS}s`,
      '--records',
      'off',
    ]);
    const s = ts.summary;
    const windows = s.windows.slice(1, -1);
    const achieved = meanRequests(windows);
    say(`## B. Open model on one core: ${int(OPEN_RATE)} arrivals/s for ${OPEN_SECONDS} s against nginx`);
    say();
    say(
      '| generator | target/s | achieved/s (steady windows) | achieved ÷ target | scheduling lag p99 ms | dropped |',
    );
    say('|---|---|---|---|---|---|');
    say(
      `| tokenstorm | ${int(OPEN_RATE)} | ${int(achieved)} | ${f(achieved / OPEN_RATE, 3)} | ${f(s.metrics.scheduling_lag_ms?.p99)} | ${s.counts.dropped} |`,
    );
    const first = s.windows[0];
    const lags = windows.map((w) => w.scheduling_lag_ms?.p99 ?? 0);
    const over = lags.filter((l) => l > 5).length;
    const perSecond =
      `tokenstorm per second: the first second ran ${int(first.requests)} requests with ${int(first.dropped)} dropped and lag p99 ${f(first.scheduling_lag_ms?.p99)} ms; ` +
      `over the ${windows.length} steady seconds the per-second lag p99 has median ${f(pct(lags, 50))} ms, p90 ${f(pct(lags, 90))} ms, max ${f(Math.max(...lags))} ms ` +
      `(${over} second(s) above 5 ms).`;
    // The same core's capacity for this model: three times the target for a few seconds, so
    // arrivals are always waiting; requests started per steady second is what it can hold.
    const FLOOD_SECONDS = 4;
    const flooded = tokenstorm(0, join(here, 'http-loop.yaml'), [
      '--workers',
      '1',
      '--rate',
      String(3 * OPEN_RATE),
      '--duration',
      `${FLOOD_SECONDS}s`,
      '--records',
      'off',
    ]).summary.windows.slice(1, -1);
    const capacity = meanRequests(flooded);
    const headroom =
      `Capacity of this core for the same test: ${int(capacity)} arrivals/s started per second with arrivals always waiting (target ${int(3 * OPEN_RATE)}/s for ${FLOOD_SECONDS} s), ` +
      `so ${int(OPEN_RATE)}/s used ${f((100 * OPEN_RATE) / capacity, 0)} % of it; a stall of the core is caught up only at the spare rate (capacity − target), so the nearer this is to 100 %, the longer the lag's tail.`;
    if (existsSync(bin('artillery'))) {
      const rate = 3000;
      const config = join(tmp, 'artillery.yml');
      writeFileSync(
        config,
        `config:\n  target: http://127.0.0.1:18080\n  phases:\n    - duration: ${SECONDS}\n      arrivalRate: ${rate}\nscenarios:\n  - flow:\n      - get: { url: / }\n`,
      );
      const report = join(tmp, 'artillery.json');
      run(0, bin('artillery'), ['run', '--output', report, config], SECONDS * 4 + 120);
      const agg = JSON.parse(readFileSync(report, 'utf8')).aggregate;
      const seconds = (agg.lastCounterAt - agg.firstCounterAt) / 1000;
      const got = agg.counters['http.responses'] / seconds;
      say(`| artillery 2 | ${int(rate)} | ${int(got)} | ${f(got / rate, 3)} | n/a | n/a |`);
    }
    say();
    say(perSecond);
    say();
    say(headroom);
    say();
  } finally {
    nginx.kill();
  }
}

/**
 * tokenstorm's client lag per token chunk: when its records say the chunk arrived
 * (clock origin + sent + TTFT, then each ITL) minus the server's write stamp for it.
 */
function clientLag(records, stamps, origin, fromMs = Number.NEGATIVE_INFINITY) {
  const lag = [];
  for (const r of records) {
    const sent = stamps[`it${r.iteration}`];
    if (sent === undefined || r.ttftMs === undefined || r.outcome !== 'ok') continue;
    let at = origin + r.sent + r.ttftMs;
    const gaps = r.itlMs ?? [];
    for (let k = 0; k < sent.length && k <= gaps.length; k++) {
      if (at >= origin + fromMs) lag.push(at - sent[k]);
      at += gaps[k] ?? 0;
    }
  }
  return lag;
}

/**
 * Tokens tokenstorm received in the steady part of a run, [1 s, SECONDS − 1 s) of its run
 * clock, per second: the same count the raw clients make of theirs. A whole run's rate also
 * holds its ends: no token for a TTFT at the start, and at the end streams that finished
 * apart while the run waits for the last one (up to a stream's time: a few % of 10 s, for
 * any client once its streams drift out of step).
 */
function steadyRate(records, origin) {
  const from = origin + 1000;
  const to = origin + (SECONDS - 1) * 1000;
  let n = 0;
  for (const r of records) {
    if (r.ttftMs === undefined || r.outcome !== 'ok') continue;
    let at = origin + r.sent + r.ttftMs;
    if (at >= from && at < to) n++;
    for (const gap of r.itlMs ?? []) {
      at += gap;
      if (at >= from && at < to) n++;
    }
  }
  return n / (SECONDS - 2);
}

function errors(values, truth) {
  return { med: pct(values, 50) - truth, p99: pct(values, 99) - truth };
}

async function ssePart() {
  const TTFT = 50;
  const ITL = 5;
  const TOKENS = 64;
  const sse = await server(
    process.execPath,
    [join(here, 'sse-truth-server.mjs'), '18090', String(TTFT), String(ITL), String(TOKENS)],
    'http://127.0.0.1:18090/',
  );
  const url = 'http://127.0.0.1:18090/v1/chat/completions';
  say(
    `## C. Streaming: ground-truth SSE server on CPU 1 (TTFT ${TTFT} ms, ITL ${ITL} ms = 200 chunks/s per stream, ${TOKENS} tokens), client on CPU 0, ${SECONDS} s`,
  );
  say();
  say(
    `Errors are measured − configured (ms). Client lag = receive time − the server's write stamp for that chunk: the raw consumers parse the stamp from the chunk; for tokenstorm the server keeps each request's stamps (by an id header) and the receive times come from its records (run.json's clock origin + sent + TTFT + each ITL). tokenstorm and raw undici ran interleaved, ${REPS} round(s) per stream count, each column the median over the rounds; Python once. Server late = the server's own write stamp − the chunk's due time (arrival + TTFT + i × ITL): where it is late, neither the ideal tokens/s nor the configured TTFT/ITL was on offer to any client. Offered = streams × tokens ÷ the server's mean time from a request's arrival to its [DONE]: the tokens/s a client with no time of its own between streams would get from this server; the share is what the client took of it. Tokens/s steady = tokens received in [1 s, ${SECONDS - 1} s) of the client's run, per second (for tokenstorm, receive times from its records as for client lag), the rate the ideal describes; the whole run's (all tokens ÷ time to the last stream's end) also holds the run's ends: the first TTFT without tokens, and the wait for the last stream while the others have stopped.`,
  );
  say();
  // The machine's own share of the client's core, measured with nothing else on it.
  const stalls = () => JSON.parse(run(0, process.execPath, [join(here, 'stall-probe.mjs'), '3']));
  const sayStalls = (when, s) =>
    say(
      `Stalls of CPU 0 itself ${when} (bench/stall-probe.mjs: a pinned busy loop, 3 s, gaps between clock readings over 0.2 ms): ${f(s.lostPct)} % of the time lost, ${s.over1ms} gap(s) over 1 ms, ${s.over3ms} over 3 ms, the longest ${f(s.maxMs)} ms. Any client on this core has stalls like these in its lag.`,
    );
  sayStalls('before this part', stalls());
  say();
  say(
    '| client | streams | tokens/s steady (whole run; ideal; steady share of what the server offered) | TTFT err med / p99 | ITL err med / p99 | client lag med / p99 | server late med / p99 |',
  );
  say('|---|---|---|---|---|---|---|');
  const ideal = (c) => (c * TOKENS * 1000) / (TTFT + (TOKENS - 1) * ITL);
  /**
   * One client run's figures: steady and whole-run tokens/s, TTFT and ITL error med/p99, client
   * lag med/p99, server lateness med/p99, the steady rate's share of the offered tokens/s.
   */
  const figures = (c, steady, tps, ttft, itl, lag, server) => {
    const t = errors(ttft, TTFT);
    const i = errors(itl, ITL);
    // What the server offered: every stream kept busy for as long as the server took over one.
    const offered = (c * TOKENS * 1000) / server.meanStreamMs;
    return [
      steady,
      tps,
      t.med,
      t.p99,
      i.med,
      i.p99,
      pct(lag, 50),
      pct(lag, 99),
      server.p50,
      server.p99,
      steady / offered,
    ];
  };
  const lateness = async () => (await fetch('http://127.0.0.1:18090/lateness')).json();
  const tokenstormRun = async (test, c) => {
    await fetch('http://127.0.0.1:18090/stamps'); // forget earlier clients' stamps
    await lateness();
    const ts = tokenstorm(0, test, ['--workers', '1']);
    const server = await lateness();
    const stamps = await (await fetch('http://127.0.0.1:18090/stamps')).json();
    const recs = readFileSync(join(ts.dir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const origin = ts.info.clockOriginEpochMs;
    return [
      ...figures(
        c,
        steadyRate(recs, origin),
        ts.summary.rates.output_tokens_per_s,
        recs.map((r) => r.ttftMs).filter((x) => x !== undefined),
        recs.flatMap((r) => r.itlMs ?? []),
        clientLag(recs, stamps, origin),
        server,
      ),
      // Lag p99 after the first second: every VU starts at once, so the first rounds of streams
      // arrive in step and their chunks in bursts as long as the client takes over all of them.
      pct(clientLag(recs, stamps, origin, 1000), 99),
    ];
  };
  const clientRun = async (cmd, script, c) => {
    await lateness();
    const out = JSON.parse(run(0, cmd, [join(here, script), url, String(c), String(SECONDS)]));
    return figures(
      c,
      out.steadyTokens / out.steadySeconds,
      out.tokens / out.seconds,
      out.ttft,
      out.itl,
      out.lag,
      await lateness(),
    );
  };
  const python = spawnSync('/usr/bin/python3', ['-c', 'import aiohttp']).status === 0;
  try {
    // The server's own code warms up first (2 s of 50 streams, not reported): the first client
    // measured would otherwise meet a server late by up to 10 ms at p99 (JIT), the others not.
    run(0, process.execPath, [join(here, 'sse-undici-client.mjs'), url, '50', '2']);
    for (const c of STREAMS) {
      const test = join(tmp, `sse-${c}.yaml`);
      writeFileSync(
        test,
        // The id header lets the server keep each request's chunk stamps for the client-lag column.
        `name: bench-sse\ntarget: http://127.0.0.1:18090/v1\nscenarios:\n  - name: chat\n    steps:\n      - chat: { model: m, max_tokens: ${TOKENS}, messages: [{ role: user, content: hi }], headers: { x-bench-id: "it{{ iteration }}" } }\nload: { executor: constant-vus, vus: ${c}, duration: ${SECONDS}s, graceful_stop: 2s }\n`,
      );
      // tokenstorm and raw undici interleaved, REPS rounds; the slow Python anchor once.
      const ours = [];
      const raw = [];
      for (let rep = 0; rep < REPS; rep++) {
        ours.push(await tokenstormRun(test, c));
        raw.push(await clientRun(process.execPath, 'sse-undici-client.mjs', c));
      }
      const rows = [
        ['tokenstorm', ours],
        ['undici raw', raw],
      ];
      if (python)
        rows.push(['python aiohttp', [await clientRun('/usr/bin/python3', 'sse_aiohttp_client.py', c)]]);
      for (const [name, runs] of rows) {
        // Each column's median over the rounds.
        const [steady, tps, tMed, tP99, iMed, iP99, lMed, lP99, sMed, sP99, share] = runs[0].map((_, k) =>
          median(runs.map((r) => r[k])),
        );
        say(
          `| ${name} | ${c} | ${int(steady)} (${int(tps)}; ${int(ideal(c))}; ${f(share, 3)} of offered) | ${f(tMed)} / ${f(tP99)} | ${f(iMed)} / ${f(iP99)} | ${f(lMed)} / ${f(lP99)} | ${f(sMed)} / ${f(sP99)} |`,
        );
      }
      const lagRatios = ours.map((r, i) => r[7] / raw[i][7]);
      say(
        `| | ${c} | tokenstorm ÷ ideal: steady ${f(median(ours.map((r) => r[0])) / ideal(c), 3)} (whole run ${f(median(ours.map((r) => r[1])) / ideal(c), 3)}) | | | lag p99 ÷ undici raw, by round: ${lagRatios.map((x) => f(x)).join(' / ')}; tokenstorm's after the first second ${withRounds(
          ours.map((r) => r[11]),
          (x) => f(x),
        )} | |`,
      );
    }
  } finally {
    sse.kill();
  }
  say();
  sayStalls('after this part', stalls());
  say();
}

/** Established client connections to a local port, counted with `ss`. */
function openStreams(port) {
  const r = spawnSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.split('\n').filter(Boolean).length : Number.NaN;
}

/** Peak RSS (KiB) of a child process and the most streams it held open, sampled every 500 ms. */
function peakRss(cpu, cmd, args, holdS, port) {
  return new Promise((resolve, reject) => {
    const [c, a] = pin(cpu, cmd, args);
    const child = spawn(c, a, { cwd: root, stdio: 'ignore' });
    let peak = 0;
    let streams = 0;
    const timer = setInterval(() => {
      try {
        const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {}
      streams = Math.max(streams, openStreams(port));
    }, 500);
    setTimeout(() => child.kill('SIGKILL'), holdS * 1000);
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(timer);
      resolve({ peak, streams });
    });
  });
}

async function memoryPart() {
  const MANY = Number(process.env.MEMORY_STREAMS ?? 10000);
  const FEW = 100;
  const HOLD = Math.max(15, SECONDS);
  // A slow server: the first token comes after 10 minutes, so every stream stays open.
  const sse = await server(
    process.execPath,
    [join(here, 'sse-truth-server.mjs'), '18091', '600000', '5', '64'],
    'http://127.0.0.1:18091/',
  );
  const url = 'http://127.0.0.1:18091/v1/chat/completions';
  const rows = [];
  try {
    for (const [name, args] of [
      [
        'tokenstorm',
        (n) => [
          join(root, 'bin/tokenstorm.js'),
          'run',
          holdTest(n),
          '--workers',
          '1',
          '--quiet',
          '--records',
          'off',
          '--out',
          join(tmp, `mem-${n}`),
        ],
      ],
      ['undici raw', (n) => [join(here, 'sse-undici-client.mjs'), url, String(n), String(HOLD)]],
    ]) {
      const few = await peakRss(0, process.execPath, args(FEW), HOLD, 18091);
      const many = await peakRss(0, process.execPath, args(MANY), HOLD, 18091);
      // Per stream actually held open (counted with ss), not per stream asked for.
      rows.push([name, few, many, (many.peak - few.peak) / (many.streams - few.streams)]);
    }
  } finally {
    sse.kill();
  }
  say(
    `## D. Memory: ${int(MANY)} concurrent open streams against a server that never answers (held ${HOLD} s)`,
  );
  say();
  say(
    'Per stream = (peak RSS, many − peak RSS, 100) ÷ (streams open, many − streams open, 100); open streams counted with `ss`.',
  );
  say();
  say('| client | 100 asked: peak RSS / open | many asked: peak RSS / open | KiB per stream |');
  say('|---|---|---|---|');
  for (const [name, few, many, per] of rows) {
    say(
      `| ${name} | ${int(few.peak / 1024)} MiB / ${int(few.streams)} | ${int(many.peak / 1024)} MiB / ${int(many.streams)} | ${f(per, 1)} |`,
    );
  }
  say();
  say(`Goal: ≤ 16 KB per stream [floor 32 KB]: **${f(rows[0][3], 1)} KiB**`);
  say();

  function holdTest(n) {
    const file = join(tmp, `hold-${n}.yaml`);
    writeFileSync(
      file,
      `name: bench-hold\ntarget: http://127.0.0.1:18091/v1\ntimeout: 20m\nscenarios:\n  - name: chat\n    steps:\n      - chat: { model: m, messages: [{ role: user, content: hi }] }\nload: { executor: constant-vus, vus: ${n}, duration: 10m, graceful_stop: 0s }\n`,
    );
    return file;
  }
}

async function scalingPart() {
  const nginx = await server('nginx', ['-c', join(here, 'nginx.conf')], 'http://127.0.0.1:18080/');
  try {
    const rps = (workers, cpus) => {
      const dir = join(tmp, `scale-${workers}`);
      const [c, a] = pinned ? ['taskset', ['-c', cpus, process.execPath]] : [process.execPath, []];
      spawnSync(
        c,
        [
          ...a,
          join(root, 'bin/tokenstorm.js'),
          'run',
          join(here, 'http-loop.yaml'),
          '--workers',
          String(workers),
          '--duration',
          `${SECONDS}s`,
          '--quiet',
          '--records',
          'off',
          '--out',
          dir,
        ],
        { cwd: root, timeout: (SECONDS + 60) * 1000 },
      );
      const s = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
      return { rps: s.counts.requests / s.durationS, cores: s.generator?.cpu_cores ?? Number.NaN };
    };
    const n = cpus().length;
    // Interleaved rounds; each column is the median over them.
    const ones = [];
    const alls = [];
    for (let rep = 0; rep < REPS; rep++) {
      ones.push(rps(1, '0'));
      alls.push(rps(n, `0-${n - 1}`));
    }
    const mid = (runs) => ({ rps: median(runs.map((r) => r.rps)), cores: median(runs.map((r) => r.cores)) });
    const one = mid(ones);
    const all = mid(alls);
    say(`## E. Scaling: 1 worker on CPU 0 vs ${n} workers on CPUs 0-${n - 1}, plain HTTP loop against nginx`);
    say();
    say(
      `nginx (one worker process) shares CPU ${n - 1} with a generator worker when all cores are used, so this understates scaling on a ${n}-core machine.`,
    );
    say();
    say(
      `Generator cores = CPU seconds of tokenstorm's process during the load ÷ its duration (summary.generator.cpu_cores); req/s per generator core factors out the core the target takes. 1 and ${n} workers ran interleaved, ${REPS} round(s); each column is the median (${n} workers' req/s by round: ${alls.map((r) => int(r.rps)).join(' / ')}; 1 worker's: ${ones.map((r) => int(r.rps)).join(' / ')}).`,
    );
    say();
    say(
      '| workers | req/s | ratio to 1 worker | goal ≥ 0.85 × N | generator cores | req/s per generator core |',
    );
    say('|---|---|---|---|---|---|');
    say(`| 1 | ${int(one.rps)} | 1.00 | | ${f(one.cores)} | ${int(one.rps / one.cores)} |`);
    say(
      `| ${n} | ${int(all.rps)} | ${f(all.rps / one.rps)} | ${f(0.85 * n)} | ${f(all.cores)} | ${int(all.rps / all.cores)} (${f(all.rps / all.cores / (one.rps / one.cores))} of 1 worker's) |`,
    );
    say();
  } finally {
    nginx.kill();
  }
}

/** How long tokenstorm's prompt synthesis takes in-process: module load, a synth, one prompt (ms). */
function synthTimes(sizes) {
  const script = `
    const t0 = performance.now();
    const { PromptSynth } = await import(${JSON.stringify(join(root, 'dist/workload/prompt-synth.js'))});
    const loaded = performance.now() - t0;
    const out = { loaded };
    for (const n of ${JSON.stringify(sizes)}) {
      const t1 = performance.now();
      const synth = new PromptSynth({ prompt_tokens: n }, 1);
      const built = performance.now() - t1;
      const t2 = performance.now();
      synth.text(n, () => 0.5);
      out[n] = { built, first: performance.now() - t2 };
    }
    console.log(JSON.stringify(out));`;
  return JSON.parse(run(0, process.execPath, ['--input-type=module', '-e', script]));
}

async function contextPart() {
  const TTFT = 50;
  const ITL = 0.25;
  const TOKENS = 8192;
  const C = Number(process.env.CONTEXT_STREAMS ?? 4);
  const S = Math.max(4, Number(process.env.CONTEXT_SECONDS ?? 5));
  const SIZES = (process.env.CONTEXT_SIZES ?? '1024,32768,131072').split(',').map(Number);
  // CONTEXT_MODES picks some of them by key (a bounded rerun of one case).
  const MODES = [
    ['token', '1 token per event', 1, 0],
    ['paragraph', 'a paragraph (100 tokens) per event', 100, 0],
    ['mib', '100 tokens per event, the first padded to 1 MiB', 100, 1 << 20],
  ]
    .filter(([key]) => (process.env.CONTEXT_MODES ?? 'token,paragraph,mib').split(',').includes(key))
    .map(([, ...mode]) => mode);
  const port = 18092;
  const url = `http://127.0.0.1:${port}/v1/chat/completions`;
  const get = async (path) => (await fetch(`http://127.0.0.1:${port}${path}`)).json();
  say(
    `## F. Long contexts: prompts of ${SIZES.map(int).join(', ')} tokens, ${int(TOKENS)}-token answers, ${C} streams, ${S} s per client and configuration`,
  );
  say();
  say(
    `Ground-truth SSE server on CPU 1 (TTFT ${TTFT} ms, ${ITL} ms per token = ${int(1000 / ITL)} tokens/s per stream), client on CPU 0; each client ran once per configuration, in the order tokenstorm, socket floor, undici raw, Python aiohttp. The socket floor (\`bench/context-socket-client.mjs\`) is the least any client must do: it writes the request on a plain socket and stamps the first event when its last byte has arrived, before decoding or parsing it, so its error is what the kernel and one Node process take to deliver the bytes on this machine (for a 1 MiB event, the megabyte's delivery itself) and a client's error can only be compared with it. The server reads each request's body whole and checks it (JSON; the words of its last message must be the prompt's tokens: "body ✓" when every request's were) before its clock starts: **TTFT truth runs from when the server has the whole request** to its write of the first event, and each request's truth is in its first event (and, for tokenstorm, kept by an id header). TTFT err = the client's TTFT (from the start of its send) − that truth, med / p99 over the requests; it holds the request's upload (the server's first byte of it to its last), shown beside it, so "err − upload" is what the client itself added. The error is exactly the sum of two legs, read on the epoch clocks of the one machine: request (the server has the whole request − the client's send, upload included) and response (the client's read of the first event − the server's write of it); each holds a loopback delivery and the wake-up of the process waiting for it, so what the raw clients show there is the floor of any client on this machine, not a fault of the truth. Tokens are counted by the server's stamps (each event says how many it carries), received in [1 s, ${S - 1} s) of the client's run, per second; the share is of what the server offered (streams × tokens ÷ its mean time from a request's arrival to its [DONE]). "Between a stream's requests" is tokenstorm's closed-loop idle time (a response's last byte to the same VU's next request's first byte), where a share of offered tokens/s below 1 goes. Python aiohttp reads as vLLM's benchmark client does (a default ClientSession, \`async for chunk_bytes in response.content\`); its read errors are counted, not raised.`,
  );
  say();
  const synth = synthTimes(SIZES);
  say(
    `Prompt synthesis in-process (dist/workload/prompt-synth.js): module load (builds the vocabulary) ${f(synth.loaded)} ms; ${SIZES.map((n) => `${int(n)} tokens: PromptSynth built ${f(synth[n].built)} ms, first prompt ${f(synth[n].first)} ms`).join('; ')}.`,
  );
  say();
  say(
    "| events | prompt tokens (body) | client | requests ok / failed | TTFT err med / p99 ms | upload med ms | err − upload med / p99 ms | err legs med ms: request / response | tokens/s steady (share of offered) | between a stream's requests med / max ms | launch → first request ms | body |",
  );
  say('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const python = spawnSync('/usr/bin/python3', ['-c', 'import aiohttp']).status === 0;
  const findings = [];
  const row = (mode, n, name, o) => {
    const net = o.ttftErr.map((e, k) => e - (o.upload[k] ?? 0));
    const failed = Object.entries(o.errors)
      .map(([why, k]) => `${k}× ${why.replaceAll('|', '/')}`)
      .join('; ');
    if (failed !== '') findings.push(`${name}, ${mode}, ${int(n)} tokens: ${failed}`);
    const offered = (C * TOKENS * 1000) / o.server.meanStreamMs;
    const bodyOk = o.bodies.bad === 0 && o.bodies.n > 0 && o.bodies.minWords === n && o.bodies.maxWords === n;
    say(
      `| ${mode} | ${int(n)} (${int(o.bodies.maxBytes / 1024)} KiB) | ${name} | ${o.requests} / ${Object.values(o.errors).reduce((a, b) => a + b, 0)} | ${f(pct(o.ttftErr, 50))} / ${f(pct(o.ttftErr, 99))} | ${f(pct(o.upload, 50))} | ${f(pct(net, 50))} / ${f(pct(net, 99))} | ${f(pct(o.requestLeg ?? [], 50))} / ${f(pct(o.responseLeg ?? [], 50))} | ${int(o.steady)} (${f(o.steady / offered, 3)}) | ${o.between === undefined ? '' : `${f(pct(o.between, 50))} / ${f(Math.max(...o.between))}`} | ${o.launch === undefined ? '' : f(o.launch, 0)} | ${bodyOk ? '✓' : `✗ ${JSON.stringify(o.bodies)}`} |`,
    );
  };
  const tokenstormRun = async (n) => {
    const test = join(tmp, `context-${n}.yaml`);
    writeFileSync(
      test,
      `name: bench-context\ntarget: http://127.0.0.1:${port}/v1\ntimeout: 2m\nscenarios:\n  - name: chat\n    steps:\n      - chat: { model: m, synthetic: { prompt_tokens: ${n}, max_tokens: ${TOKENS} }, headers: { x-bench-id: "it{{ iteration }}" } }\nload: { executor: constant-vus, vus: ${C}, duration: ${S}s, graceful_stop: 5s }\n`,
    );
    const launched = performance.timeOrigin + performance.now();
    const ts = tokenstorm(0, test, ['--workers', '1']);
    const server = await get('/lateness');
    const truth = await get('/truth');
    const bodies = await get('/bodies');
    const recs = readFileSync(join(ts.dir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const origin = ts.info.clockOriginEpochMs;
    const from = origin + 1000;
    const to = origin + (S - 1) * 1000;
    const ttftErr = [];
    const upload = [];
    const requestLeg = [];
    const responseLeg = [];
    const errors = {};
    let steady = 0;
    let requests = 0;
    for (const r of recs) {
      const t = truth[`it${r.iteration}`];
      if (r.outcome !== 'ok' || r.ttftMs === undefined || t === undefined) {
        const why = `${r.error ?? r.outcome}: ${String(r.message ?? '').slice(0, 60)}`;
        errors[why] = (errors[why] ?? 0) + 1;
        continue;
      }
      requests++;
      ttftErr.push(r.ttftMs - t.ttft);
      upload.push(t.upload);
      requestLeg.push(t.arrival - (origin + r.sent));
      responseLeg.push(origin + r.sent + r.ttftMs - t.firstWrite);
      // Each event's receive time from the record, its tokens from the server's stamps.
      let at = origin + r.sent + r.ttftMs;
      const gaps = r.itlMs ?? [];
      for (let k = 0; k < t.n.length; k++) {
        if (at >= from && at < to) steady += t.n[k];
        at += gaps[k] ?? 0;
      }
    }
    const firstSent = Math.min(...recs.map((r) => r.sent));
    // A closed loop's idle time: from a response's last byte to the same VU's next request.
    const between = [];
    const byVu = new Map();
    for (const r of recs) byVu.set(r.vu, [...(byVu.get(r.vu) ?? []), r]);
    for (const list of byVu.values()) {
      list.sort((a, b) => a.sent - b.sent);
      for (let k = 1; k < list.length; k++) between.push(list[k].sent - list[k - 1].end);
    }
    return {
      ttftErr,
      upload,
      requestLeg,
      responseLeg,
      between,
      errors,
      requests,
      steady: steady / (S - 2),
      server,
      bodies,
      launch: origin + firstSent - launched,
    };
  };
  // The raw clients send the prompt text tokenstorm sends (one drawn synthetic prompt of n tokens),
  // so every client's body, and its upload, is the same size.
  const { PromptSynth } = await import(join(root, 'dist/workload/prompt-synth.js'));
  const promptFile = (n) => {
    const file = join(tmp, `prompt-${n}.txt`);
    if (!existsSync(file))
      writeFileSync(
        file,
        new PromptSynth({ prompt_tokens: n }, 1).text(n, () => 0.5),
      );
    return file;
  };
  const clientRun = async (cmd, script, n) => {
    const out = JSON.parse(
      run(
        0,
        cmd,
        [join(here, script), url, String(C), String(S), String(n), String(TOKENS), promptFile(n)],
        S + 120,
      ),
    );
    return {
      ...out,
      steady: out.steadyTokens / out.steadySeconds,
      server: await get('/lateness'),
      bodies: await get('/bodies'),
    };
  };
  for (const [mode, perEvent, firstBytes] of MODES) {
    const sse = await server(
      process.execPath,
      [join(here, 'sse-truth-server.mjs'), String(port), String(TTFT), String(ITL), String(TOKENS)],
      `http://127.0.0.1:${port}/`,
      { TOKENS_PER_EVENT: String(perEvent), FIRST_EVENT_BYTES: String(firstBytes) },
    );
    try {
      // The server's code warms up first (not reported), then its counters start afresh.
      run(0, process.execPath, [join(here, 'context-undici-client.mjs'), url, '2', '2', '1000', '2048']);
      await get('/lateness');
      await get('/truth');
      await get('/bodies');
      for (const n of SIZES) {
        row(mode, n, 'tokenstorm', await tokenstormRun(n));
        row(mode, n, 'socket floor', await clientRun(process.execPath, 'context-socket-client.mjs', n));
        row(mode, n, 'undici raw', await clientRun(process.execPath, 'context-undici-client.mjs', n));
        if (python)
          row(mode, n, 'python aiohttp', await clientRun('/usr/bin/python3', 'context_aiohttp_client.py', n));
      }
    } finally {
      sse.kill();
    }
  }
  say();
  if (findings.length > 0) {
    say('Failed requests, by client and configuration:');
    say();
    for (const line of findings) say(`- ${line}`);
    say();
  }
}

const started = new Date();
say('# tokenstorm generator benchmark');
say();
say(
  `Run ${started.toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; ${pinned ? 'target pinned to CPU 1, generator to CPU 0 (taskset)' : 'not pinned (no taskset or one core)'}.`,
);
say(
  'Reproduce: `bash bench/setup.sh && node bench/run.mjs` (env: PARTS, BENCH_SECONDS, BENCH_REPS, OPEN_RATE, OPEN_SECONDS, STREAMS).',
);
say();
const parts = {
  http: httpPart,
  open: openPart,
  sse: ssePart,
  memory: memoryPart,
  scaling: scalingPart,
  context: contextPart,
  startup: async () => {
    for (const line of await startupPart({ reps: Math.max(REPS, 5) })) say(line);
  },
};
// A run of some parts must not replace the full run's figures: it goes to its own file.
const all = Object.keys(parts).every((name) => PARTS.has(name));
const results = join(here, all ? 'RESULTS.md' : 'RESULTS-partial.md');
for (const [name, part] of Object.entries(parts)) {
  if (!PARTS.has(name)) continue;
  await part();
  // Written after every part, so a part that fails keeps the ones before it.
  writeFileSync(results, `${out.join('\n')}\n`);
}
console.log(`\nwrote ${results}`);
