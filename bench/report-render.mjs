#!/usr/bin/env node
/**
 * How long `tokenstorm report` takes on a big run, and how big the report is.
 *
 *   npm run build && node bench/report-render.mjs [--records 1000000] [--keep]
 *
 * Writes N synthetic records (a one-hour run at N/3600 requests/s: 80 % chat
 * steps with 8 inter-token gaps each, 20 % plain HTTP, 1 % errors of several
 * kinds, seeded so every run of the bench is the same) into a temporary run
 * directory, then times the built CLI rebuilding summary.json and report.html
 * from it. Not part of `npm test`; bounded by N.
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../dist/random/index.js';
import { renderHtmlReport } from '../dist/report/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const N = Number(flag('--records', '1000000'));
const KEEP = args.includes('--keep');
if (!(Number.isInteger(N) && N > 0 && N <= 20_000_000))
  throw new Error('--records: a whole number up to 20,000,000');

const DURATION_S = 3600;
const dir = mkdtempSync(join(tmpdir(), 'tokenstorm-bench-report-'));
const rng = createRng(7);
const round = (x) => Math.round(x * 1000) / 1000;
const ERRORS = [
  ['http_5xx', 503],
  ['rate_limited', 429],
  ['timeout', undefined],
  ['stream_error', 200],
];

writeFileSync(
  join(dir, 'run.json'),
  `${JSON.stringify(
    {
      schema: 'tokenstorm.run/v1',
      name: 'bench-report-render',
      startedAt: '2026-01-01T00:00:00.000Z',
      durationS: DURATION_S,
      target: 'http://127.0.0.1:1/v1',
      scenarios: ['chat', 'browse'],
      thresholds: {
        ttft_ms: ['p99 < 2000'],
        error_rate: ['< 0.02'],
        'e2e_ms{scenario:browse}': ['p95 < 500'],
      },
      test: {},
    },
    null,
    2,
  )}\n`,
);
writeFileSync(join(dir, 'events.jsonl'), '');

const t0 = performance.now();
const fd = openSync(join(dir, 'records.jsonl'), 'w');
let buffer = '';
for (let id = 0; id < N; id++) {
  // Load and latency rise through the hour, so the charts have a shape.
  const scheduled = (id / N) * DURATION_S * 1000;
  const lag = rng() < 0.99 ? rng() * 2 : 5 + rng() * 50;
  const sent = scheduled + lag;
  const slow = 1 + (scheduled / (DURATION_S * 1000)) * 2;
  const vu = id % 200;
  let r;
  if (rng() < 0.8) {
    const ttft = (40 + rng() * 60) * slow;
    const itl = Array.from({ length: 8 }, () => round((8 + rng() * 6) * slow));
    const e2e = ttft + itl.reduce((a, b) => a + b, 0);
    r = {
      id,
      scenario: 'chat',
      step: 0,
      stepName: 'chat',
      kind: 'chat',
      vu,
      iteration: id,
      outcome: 'ok',
      scheduled: round(scheduled),
      sent: round(sent),
      end: round(sent + e2e),
      schedulingLagMs: round(lag),
      ttfbMs: round(ttft * 0.8),
      ttftMs: round(ttft),
      e2eMs: round(e2e),
      tpotMs: round((e2e - ttft) / 8),
      itlMs: itl,
      chunks: 9,
      inputTokens: 12,
      outputTokens: 9,
      inputTokensClient: 12,
      outputTokensClient: 9,
    };
  } else {
    const e2e = (5 + rng() * 20) * slow;
    r = {
      id,
      scenario: 'browse',
      step: 0,
      stepName: 'GET /models',
      kind: 'http',
      vu,
      iteration: id,
      outcome: 'ok',
      status: 200,
      scheduled: round(scheduled),
      sent: round(sent),
      end: round(sent + e2e),
      schedulingLagMs: round(lag),
      ttfbMs: round(e2e * 0.7),
      e2eMs: round(e2e),
    };
  }
  if (rng() < 0.01) {
    const [error, status] = ERRORS[Math.floor(rng() * ERRORS.length)];
    r.outcome = 'error';
    r.error = error;
    if (status === undefined) delete r.status;
    else r.status = status;
    r.message = `synthetic ${error}`;
  }
  buffer += `${JSON.stringify(r)}\n`;
  if (buffer.length > 1 << 20) {
    writeSync(fd, buffer);
    buffer = '';
  }
}
writeSync(fd, buffer);
closeSync(fd);
const genS = (performance.now() - t0) / 1000;

const t1 = performance.now();
const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'tokenstorm.js'), 'report', dir, '--quiet'], {
  stdio: ['ignore', 'inherit', 'inherit'],
});
const renderS = (performance.now() - t1) / 1000;
if (result.status !== 0) throw new Error(`tokenstorm report exited ${result.status}`);

// The page alone, from the summary just written: what report/ itself costs.
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
const t2 = performance.now();
renderHtmlReport(summary);
const pageMs = performance.now() - t2;

const mb = (file) => (statSync(join(dir, file)).size / 1e6).toFixed(2);
console.log(
  `records:          ${N.toLocaleString('en')} (${mb('records.jsonl')} MB, generated in ${genS.toFixed(1)} s)`,
);
console.log(
  `tokenstorm report: ${renderS.toFixed(2)} s (rebuild summary.json + render report.html, one process)`,
);
console.log(`  of which report.html alone: ${pageMs.toFixed(0)} ms (${summary.windows.length} windows)`);
console.log(`report.html:      ${mb('report.html')} MB`);
console.log(`summary.json:     ${mb('summary.json')} MB`);
if (KEEP) console.log(`run directory:    ${dir}`);
else rmSync(dir, { recursive: true, force: true });
