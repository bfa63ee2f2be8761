/**
 * Solo: it times a fault on the run clock and the recovery after it, which the suite's other
 * files shifted by a window when they ran beside it (recovered_s 0 instead of >= 1).
 *
 * The test timeline end to end: a proxy started by the run, a fault switched
 * on and off at its times, the change recorded in events.jsonl, run.json and
 * summary.json (and rebuilt by `tokenstorm report`), and bad timelines refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, startMockServer } from '../../src/sim/index.js';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';
import { freePort } from '../support/servers.js';

let mock: MockServer;
beforeAll(async () => {
  mock = await startMockServer({ profile: { ttft_ms: 20, itl_ms: 5, output_tokens: 4 } });
});
afterAll(() => mock.close());

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

interface Rec {
  sent: number;
  ttftMs?: number;
  outcome: string;
}

describe('test timeline', () => {
  it('starts the proxy, adds 300 ms at 1 s for 1 s, records it, and stops the proxy after the run', async () => {
    const port = await freePort();
    const dir = tempDir();
    const file = join(dir, 'timeline.yaml');
    writeFileSync(
      file,
      `name: timeline
target: http://127.0.0.1:${port}/v1
proxies:
  slow: { upstream: "${mock.url}", port: ${port} }
events:
  - { at: 3s, proxy: slow, fault: { kind: latency, delay_ms: 300 }, for: 1s, label: slow provider }
scenarios:
  - name: chat
    steps:
      - chat: { model: m, max_tokens: 4, messages: [{ role: user, content: hi }] }
load: { executor: constant-arrival-rate, rate: 20, duration: 8s }
recovery: { band: 3 }
`,
    );
    // The mock answers in ~25 ms TTFT, and the baseline is the median p95 of the windows before the
    // event: on a loaded machine a window's p95 goes past 1.5x that now and then. 3x (~75 ms) keeps
    // the slow windows (~325 ms) out of band and most of that noise in; the run goes on 4 s after
    // the fault so a window the suite's other files slowed is followed by more. The event is at 3 s,
    // after three windows, so the median is not the first window's: that one's p95 (the proxy's and
    // mock's first requests) was 115-260 ms on a busy machine, and with one or two windows before
    // the event the band took the slow windows in.
    const out = join(dir, 'run');
    const result = await runCli(['run', file, '--out', out, '--quiet']);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    expect(await refused(port)).toBe(true);
    const lines = readFileSync(join(out, 'events.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const [applied, reverted] = lines.filter((l) => l.type === 'fault');
    expect(applied).toMatchObject({ phase: 'applied', label: 'slow provider', proxy: 'slow', for_s: 1 });
    expect(applied.faults).toEqual([
      { kind: 'latency', match: '**', probability: 1, delay_ms: 300, jitter_ms: 0 },
    ]);
    expect(reverted).toMatchObject({ phase: 'reverted', label: 'slow provider' });
    // Never early; the upper bounds tell "on time" from "at the end of the 8 s run" with room for a
    // busy machine's late timers (they are not about tokenstorm's speed).
    expect(applied.at).toBeGreaterThanOrEqual(3000);
    expect(applied.at).toBeLessThan(4000);
    // The revert is due at the planned 3 + 1 s; the apply is stamped once the proxy answered (late
    // on a busy machine), so the gap between the stamps is no bound.
    expect(reverted.at).toBeGreaterThanOrEqual(3950);
    expect(reverted.at).toBeLessThan(5000);
    // Requests sent well inside the event took the 300 ms more; those well outside did not.
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec);
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const ttft = (from: number, to: number) =>
      median(
        records
          .filter((r) => r.sent >= from && r.sent < to && r.ttftMs !== undefined)
          .map((r) => r.ttftMs as number),
      );
    const inside = ttft(applied.at + 100, reverted.at - 100);
    const outside = ttft(reverted.at + 100, 6000);
    expect(inside - outside).toBeGreaterThan(280);
    // Once, not twice (600 ms).
    expect(inside - outside).toBeLessThan(550);
    // run.json and summary.json carry the event in seconds; the recovery figures see the slow window.
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(summary.events).toHaveLength(1);
    expect(summary.events[0]).toMatchObject({ label: 'slow provider', proxy: 'slow', for_s: 1 });
    expect(summary.events[0].at).toBeCloseTo(applied.at / 1000, 3);
    expect(summary.events[0].recovery.first_error_s).toBeNull();
    // Answers slowed until ~0.3 s after the revert end in the window after it: back in band one
    // window later (0.99 s after the revert, alone), or two when the machine is busy. The window
    // arithmetic itself is src/analysis/recovery.test.ts's.
    expect(summary.events[0].recovery.recovered_s).toBeGreaterThanOrEqual(1);
    expect(summary.events[0].recovery.recovery_s).toBeLessThanOrEqual(2.5);
    // `tokenstorm report` rebuilds the same events from the run directory.
    const rebuilt = await runCli(['report', out, '--quiet']);
    expect(rebuilt.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).events).toEqual(summary.events);
  });

  it('refuses a bad timeline with exit 2, naming the file, field and expectation', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad-timeline.yaml');
    writeFileSync(
      file,
      `target: http://127.0.0.1:9/v1
proxies: { A: { control: "http://127.0.0.1:9" } }
events: [{ at: 1s, proxy: B, fault: outage, for: 2s }]
scenarios: [{ name: s, steps: [{ http: { url: /x } }] }]
load: { executor: constant-vus, vus: 1, duration: 1s }
`,
    );
    const result = await runCli(['run', file]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      `${file}: events[0].proxy: expected one of the names in "proxies" (A), got "B"`,
    );
  });
});
