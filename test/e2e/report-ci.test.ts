/**
 * CI output from real runs: `--junit` and `--markdown` files on `run` and on
 * `report`, and the plain progress lines a CI log shows while a run goes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';

function writeTest(dir: string, body: string): string {
  const path = join(dir, 'ci.yaml');
  writeFileSync(path, body);
  return path;
}

const CHAT = `scenarios:
  - name: chat
    steps:
      - chat: { model: mock-model, max_tokens: 8, messages: [{ role: user, content: hi }] }`;

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as Node[];

describe('CI formats', () => {
  it('--junit lists each threshold as a test case with failures and values; report writes the same files', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      `name: ci-formats
mock: { ttft_ms: 40, itl_ms: 2 }
${CHAT}
load: { executor: constant-vus, vus: 2, iterations: 10 }
thresholds:
  ttft_ms: ["p99 < 2000", "p50 < 5"]
  error_rate: ["< 0.01"]
  e2e_ms: [{ threshold: "max < 1", blocking: false }]
`,
    );
    const out = join(dir, 'run');
    const junit = join(dir, 'junit.xml');
    const md = join(dir, 'summary.md');
    const run = await runCli(['run', test, '--out', out, '--quiet', '--junit', junit, '--markdown', md]);
    expect(run.code).toBe(99);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const xml = readFileSync(junit, 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as Node;
    const suites = doc.testsuites as Node;
    const suite = asArray(suites.testsuite)[0] as Node;
    const cases = asArray(suite.testcase);
    expect(cases.map((c) => c['@name'])).toEqual([
      'ttft_ms: p99 < 2000',
      'ttft_ms: p50 < 5',
      'error_rate: < 0.01',
      'e2e_ms: max < 1',
    ]);
    expect([suites['@tests'], suites['@failures'], suites['@skipped']]).toEqual(['4', '1', '1']);
    expect([suite['@tests'], suite['@failures'], suite['@errors']]).toEqual(['4', '1', '0']);
    const failure = cases[1]?.failure as Node;
    // The mock was told 40 ms TTFT: the failure shows the observed p50 from summary.json.
    expect(summary.thresholds[1].value).toBeGreaterThanOrEqual(40);
    expect(failure['@message']).toBe(
      `threshold failed: ttft_ms p50 < 5: observed ${summary.thresholds[1].value}`,
    );
    expect(readFileSync(md, 'utf8')).toContain('❌ **FAILED** — 1 of 3 blocking threshold(s) failed');

    const junit2 = join(dir, 'junit2.xml');
    const md2 = join(dir, 'summary2.md');
    const rebuilt = await runCli(['report', out, '--quiet', '--junit', junit2, '--markdown', md2]);
    expect(rebuilt.code).toBe(0);
    expect(readFileSync(junit2, 'utf8')).toBe(xml);
    expect(readFileSync(md2, 'utf8')).toBe(readFileSync(md, 'utf8'));
    const json = await runCli(['report', out, '--json']);
    expect(JSON.parse(json.stdout)).toEqual(summary);
  });

  it('prints plain progress lines to stderr when it is not a terminal, none with --quiet', async () => {
    const dir = tempDir();
    const test = writeTest(
      dir,
      `name: progress
mock: { ttft_ms: 10, itl_ms: 2, output_tokens: 10 }
${CHAT}
load: { executor: constant-arrival-rate, rate: 20, duration: 3s }
`,
    );
    const env = { TOKENSTORM_PROGRESS_INTERVAL_MS: '500' };
    const run = await runCli(['run', test, '--out', join(dir, 'run')], { env });
    expect(run.code).toBe(0);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('[tokenstorm] progress '));
    expect(lines.length).toBeGreaterThanOrEqual(4);
    for (const line of lines) expect(line).not.toContain('\u001b');
    // Lines before the engine's first progress report (once a second) say "starting".
    const timed = lines.filter((l) => !l.startsWith('[tokenstorm] progress starting'));
    expect(timed.length).toBeGreaterThanOrEqual(3);
    for (const line of timed) {
      expect(line).toMatch(
        / \/ 3\.0s \d+% \| VUs \d+ \| in flight \d+ \| [\d.]+ req\/s \| [\d.]+ output tok\/s \| TTFT p50\/p95 /,
      );
    }
    // The mock was asked for 20 arrivals/s: a full 500 ms window shows about that rate.
    const rates = timed.map((l) => Number(/\| ([\d.]+) req\/s/.exec(l)?.[1]));
    expect(Math.max(...rates)).toBeGreaterThan(12);
    expect(Math.max(...rates)).toBeLessThan(30);
    expect(lines.at(-1)).toMatch(/requests \d+ ok \d+ errors 0 /);

    const quiet = await runCli(['run', test, '--out', join(dir, 'quiet'), '--quiet'], { env });
    expect(quiet.code).toBe(0);
    // No live view (other warnings, e.g. about the generator, may still be printed).
    expect(quiet.stderr).not.toContain('[tokenstorm]');
    expect(quiet.stderr).not.toContain('running progress');

    // A closed model reports its running VUs, thinking ones included.
    const closed = writeTest(
      dir,
      `name: vus
mock: { ttft_ms: 10, itl_ms: 2, output_tokens: 10 }
${CHAT}
load: { executor: constant-vus, vus: 7, duration: 3s, think_time: 200 }
`,
    );
    const vus = await runCli(['run', closed, '--out', join(dir, 'vus'), '--workers', '1'], { env });
    expect(vus.code).toBe(0);
    const counts = vus.stderr
      .split('\n')
      .map((l) => /\| VUs (\d+) \|/.exec(l)?.[1])
      .filter((n) => n !== undefined)
      .map(Number);
    expect(counts).toContain(7);
  });
});
