/**
 * One worker or several: the same plan and the same counts, merged exactly.
 * The latency-distribution comparison is in workers-distribution.solo.test.ts.
 */
import { existsSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HELPER_NICENESS } from '../../src/engine/thread-priority.js';
import { runCli, tempDir } from '../support/cli.js';

import { expectRebuildEqual, fastChatTest, run, writeTest } from '../support/worker-runs.js';

describe('worker threads', () => {
  it('stages, scenarios and errors counted in 2 workers merge into what the records say', async () => {
    const test = writeTest(
      'staged.yaml',
      `name: workers-staged
mock: { ttft_ms: { dist: uniform, min: 5, max: 30 }, itl_ms: 1, output_tokens: 5 }
scenarios:
  - name: chat
    weight: 3
    steps:
      - chat: { model: mock-model, messages: [{ role: user, content: hi }] }
  - name: missing
    weight: 1
    steps:
      - http: { url: /no-such-path }
load:
  executor: ramping-arrival-rate
  max_vus: 40
  stages:
    - { duration: 1s, target: 60 }
    - { duration: 1s, target: 120 }
`,
    );
    const { summary, out, recs } = await run(test, 2);
    await expectRebuildEqual(out);
    const s = summary as unknown as {
      counts: { requests: number };
      stages: { start: number; end: number; counts: { requests: number } }[];
      scenarios: Record<string, { counts: { requests: number; errors: number } }>;
    };
    expect(s.counts.requests).toBe(recs.length);
    // Each stage counts the records planned in it (a record belongs to the stage its `scheduled` falls in).
    expect(s.stages.map((st) => st.counts.requests)).toEqual(
      s.stages.map(
        (st) => recs.filter((r) => r.scheduled >= st.start * 1000 && r.scheduled < st.end * 1000).length,
      ),
    );
    expect(s.stages.map((st) => st.counts.requests).every((n) => n > 20)).toBe(true);
    expect(s.scenarios.missing?.counts.errors).toBe(s.scenarios.missing?.counts.requests);
    expect(s.scenarios.missing?.counts.requests).toBeGreaterThan(10);
  });

  it('a closed model with an iterations bound runs exactly that many across 2 workers', async () => {
    const test = fastChatTest('closed', '{ executor: constant-vus, vus: 6, iterations: 101 }');
    const { summary, recs } = await run(test, 2);
    expect(summary.counts.requests).toBe(101);
    expect(new Set(recs.map((x) => x.iteration)).size).toBe(101);
    expect(new Set(recs.map((x) => x.vu))).toEqual(new Set([0, 1, 2, 3, 4, 5]));
  });
});

describe.skipIf(!existsSync('/proc/thread-self'))('thread priority during a run (Linux)', () => {
  it("the workers' and the coordinator's threads keep their priority; V8's helpers yield to them", async () => {
    const test = fastChatTest('priority', '{ executor: constant-vus, vus: 4, duration: 4s }');
    let pid: number | undefined;
    const finished = runCli(['run', test, '--out', join(tempDir(), 'run'), '--quiet', '--workers', '2'], {
      onSpawn: (child) => {
        pid = child.pid;
      },
    });
    /** Each thread's nice value by thread id, while the run goes on. */
    const niceness = () => {
      const byThread = new Map<number, number>();
      try {
        for (const tid of readdirSync(`/proc/${pid}/task`))
          byThread.set(Number(tid), getPriority(Number(tid)));
      } catch {
        // Not started yet, or a thread ended while it was read.
      }
      return byThread;
    };
    let seen = new Map<number, number>();
    // Bounded: the workers are ready after their warm-up, well within the run.
    for (let i = 0; i < 200 && ![...seen.values()].includes(HELPER_NICENESS); i++) {
      await sleep(50);
      seen = niceness();
    }
    expect((await finished).code).toBe(0);
    const values = [...seen.values()];
    expect(values.filter((n) => n === HELPER_NICENESS).length).toBeGreaterThan(0);
    // The coordinator's is the process's main thread (its id is the pid).
    expect(seen.get(pid as number)).toBeLessThan(HELPER_NICENESS);
    // The coordinator's thread and the two workers' at least are not niced.
    expect(values.filter((n) => n < HELPER_NICENESS).length).toBeGreaterThanOrEqual(3);
  });
});
