#!/usr/bin/env node
// False alarms and detection of `tokenstorm compare` on real runs (issue 26): ROUNDS rounds, each
// three real `tokenstorm run`s against the embedded mock (the same build, TTFT x1.30, TTFT x1.05),
// then every same-build run is compared with the next one (pairwise) and with five other
// same-build runs (rolling), and each slower run with a same-build run and a rolling baseline.
// Bounded: it starts no new round after BUDGET_S seconds and reports the rounds it finished.
// RUNS_DIR=<a directory it printed> re-judges saved runs without running anything (same-N, slow30-N,
// slow5-N), so a change to the statistics can be measured on the same runs; DETAIL=1 lists the
// rows that regressed.
//   npm run build && node bench/compare-rates.mjs
//   (ROUNDS=20 RATE=250 SECONDS=2 TTFT_MEDIAN=50 SIGMA=0.3 BUDGET_S=1200 WORKERS=)
//   RUNS_DIR=/tmp/tokenstorm-compare-rates-XXXXXX [DETAIL=1] node bench/compare-rates.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { compareRuns } = await import(join(root, 'dist/analysis/compare.js'));
const { loadCompareRun } = await import(join(root, 'dist/cli/commands/compare.js'));

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const RATE = Number(process.env.RATE ?? 250);
const SECONDS = Number(process.env.SECONDS ?? 2);
const MEDIAN = Number(process.env.TTFT_MEDIAN ?? 50);
const SIGMA = Number(process.env.SIGMA ?? 0.3);
const BUDGET_S = Number(process.env.BUDGET_S ?? 1200);
const WORKERS = process.env.WORKERS;
const RUNS_DIR = process.env.RUNS_DIR;
const DETAIL = process.env.DETAIL === '1';
const tmp = RUNS_DIR ?? mkdtempSync(join(tmpdir(), 'tokenstorm-compare-rates-'));
const started = Date.now();

function testFile(label, scale) {
  const path = join(tmp, `${label}.yaml`);
  // One test name for all three: the runs differ only in the mock's TTFT, as builds of one service would.
  writeFileSync(
    path,
    `name: compare-rates
mock: { ttft_ms: { dist: lognormal, median: ${MEDIAN * scale}, sigma: ${SIGMA} }, itl_ms: 2, output_tokens: 4 }
scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: ${RATE}, duration: ${SECONDS}s }
`,
  );
  return path;
}

const configs = RUNS_DIR
  ? {}
  : { same: testFile('same', 1), slow30: testFile('slow30', 1.3), slow5: testFile('slow5', 1.05) };
const runs = { same: [], slow30: [], slow5: [] };

function run(label, i) {
  const out = join(tmp, `${label}-${i}`);
  const args = ['bin/tokenstorm.js', 'run', configs[label], '--out', out, '--quiet', '--no-history'];
  if (WORKERS) args.push('--workers', WORKERS);
  const r = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    timeout: (SECONDS + 120) * 1000,
  });
  if (r.status !== 0) throw new Error(`run ${label} ${i} failed (${r.status}): ${r.stderr}`);
  return out;
}

let rounds = 0;
if (RUNS_DIR) {
  // Saved runs: every complete round (the three directories of one index) in order.
  for (let i = 0; ['same', 'slow30', 'slow5'].every((l) => existsSync(join(RUNS_DIR, `${l}-${i}`))); i++) {
    for (const label of ['same', 'slow30', 'slow5'])
      runs[label].push(await loadCompareRun(join(RUNS_DIR, `${label}-${i}`)));
    rounds++;
  }
}
for (let i = 0; !RUNS_DIR && i < ROUNDS; i++) {
  if ((Date.now() - started) / 1000 > BUDGET_S) break;
  // Interleaved, so a change in the machine's load falls on all three configurations alike.
  for (const label of ['same', 'slow30', 'slow5']) runs[label].push(await loadCompareRun(run(label, i)));
  rounds++;
  process.stderr.write(`round ${rounds}/${ROUNDS} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
}
process.stderr.write(`runs in ${tmp}\n`);
if (rounds < 6)
  throw new Error(`only ${rounds} rounds within BUDGET_S=${BUDGET_S}: a rolling baseline needs 6`);

const n = rounds;
const same = runs.same;
const rolling = (i) => Array.from({ length: 5 }, (_, k) => same[(i + 1 + k) % n]);
const p99 = (c) =>
  c.rows.find((r) => r.scenario === 'all' && r.metric === 'ttft_ms' && r.stat === 'p99')?.verdict;
const count = (cs, pick, want) => cs.filter((c) => pick(c) === want).length;
const verdict = (c) => c.verdict;
const limited = (rs) => rs.filter((r) => r.summary.generator?.limited).length;
const ttftP50 = (rs) => rs.map((r) => r.summary.metrics?.ttft_ms?.p50 ?? Number.NaN);

const samePair = same.map((r, i) => compareRuns(same[(i + 1) % n], r));
const sameRoll = same.map((r, i) => compareRuns(rolling(i), r));
const slow30Pair = runs.slow30.map((r, i) => compareRuns(same[i], r));
const slow30Roll = runs.slow30.map((r, i) => compareRuns(rolling(i), r));
const slow5Pair = runs.slow5.map((r, i) => compareRuns(same[i], r));
const slow5Roll = runs.slow5.map((r, i) => compareRuns(rolling(i), r));

const requests = Math.min(...[...same, ...runs.slow30, ...runs.slow5].map((r) => r.summary.counts.requests));
const range = (xs) => `${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)} ms`;
// Saved runs: the test they ran says what they were (its mock and load lines).
const savedTest = () =>
  readFileSync(join(tmp, 'same.yaml'), 'utf8')
    .split('\n')
    .filter((l) => /^(mock|load):/.test(l))
    .join('; ');
const what = RUNS_DIR
  ? `saved runs in ${tmp} (${existsSync(join(tmp, 'same.yaml')) ? savedTest() : 'test file not saved'}; >= ${requests} requests per run)`
  : `mock TTFT lognormal median ${MEDIAN} ms σ ${SIGMA}, ${RATE}/s for ${SECONDS} s (>= ${requests} requests per run)${WORKERS ? `, --workers ${WORKERS}` : ''}`;
const lines = [
  `compare rates on real runs: ${n} rounds, ${what}; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  `measured TTFT p50 per run: same ${range(ttftP50(same))}, x1.30 ${range(ttftP50(runs.slow30))}, x1.05 ${range(ttftP50(runs.slow5))}; generator limited in ${limited(same)}/${limited(runs.slow30)}/${limited(runs.slow5)} of ${n}`,
  '| | pairwise | rolling (5 other runs) |',
  '|---|---|---|',
  `| same build: verdict regression | ${count(samePair, verdict, 'regression')} of ${n} | ${count(sameRoll, verdict, 'regression')} of ${n} |`,
  `| TTFT x1.30: TTFT p99 regression | ${count(slow30Pair, p99, 'regression')} of ${n} | ${count(slow30Roll, p99, 'regression')} of ${n} |`,
  `| TTFT x1.30: verdict regression | ${count(slow30Pair, verdict, 'regression')} of ${n} | ${count(slow30Roll, verdict, 'regression')} of ${n} |`,
  `| TTFT x1.05: TTFT p99 no significant change | ${count(slow5Pair, p99, 'no significant change')} of ${n} | ${count(slow5Roll, p99, 'no significant change')} of ${n} |`,
  `| TTFT x1.05: verdict not regression | ${n - count(slow5Pair, verdict, 'regression')} of ${n} | ${n - count(slow5Roll, verdict, 'regression')} of ${n} |`,
];
if (DETAIL) {
  // Which rows made each "regression" verdict of the same build, and each missed or false p99 call.
  const show = (name, cs) =>
    cs.forEach((c, i) => {
      const rows = c.rows.filter((r) => r.verdict === 'regression');
      if (rows.length === 0) return;
      lines.push(
        `${name} ${i}: ${rows
          .map(
            (r) =>
              `${r.scenario} ${r.metric}.${r.stat} ${r.baseline.toFixed(2)} -> ${r.candidate.toFixed(2)} (tolerance ${r.tolerance?.toFixed(2)}, spread ${r.spread?.toFixed(2) ?? '-'}, CI ${r.ci ? `${r.ci.low.toFixed(2)}..${r.ci.high.toFixed(2)}` : '-'})`,
          )
          .join('; ')}`,
      );
    });
  show('same pairwise', samePair);
  show('same rolling', sameRoll);
  show('x1.05 pairwise', slow5Pair);
  show('x1.05 rolling', slow5Roll);
  const missed = (name, cs) =>
    cs.forEach((c, i) => {
      const r = c.rows.find((x) => x.scenario === 'all' && x.metric === 'ttft_ms' && x.stat === 'p99');
      if (r && r.verdict !== 'regression')
        lines.push(
          `${name} ${i}: ttft_ms.p99 ${r.verdict}: ${r.baseline.toFixed(2)} -> ${r.candidate.toFixed(2)} (tolerance ${r.tolerance?.toFixed(2)}, CI ${r.ci ? `${r.ci.low.toFixed(2)}..${r.ci.high.toFixed(2)}` : '-'})`,
        );
    });
  missed('x1.30 pairwise', slow30Pair);
  missed('x1.30 rolling', slow30Roll);
}
console.log(lines.join('\n'));
