/**
 * Rate-limit recipe (solo: it times retries and 1-s windows, which a busy
 * machine shifts): a provider allowing 10 requests per 1-s window, a load
 * that doubles past it and drops back, a client retrying after Retry-After.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, stderrProblems, tempDir } from '../support/cli.js';

interface Rec {
  vu: number;
  iteration: number;
  attempt?: number;
  outcome: string;
  error?: string;
  status?: number;
  sent: number;
  end: number;
}

describe('rate limits recipe (examples/recipes/rate-limits.yaml)', () => {
  it('sees 429s only over the quota, retries after Retry-After, and recovers after the load drops', async () => {
    const out = join(tempDir(), 'run');
    const result = await runCli(['run', 'examples/recipes/rate-limits.yaml', '--out', out, '--quiet']);
    expect(stderrProblems(result.stderr)).toEqual([]);
    expect(result.code).toBe(0);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    const limited = summary.counts.byError.rate_limited;
    // Only 429s, and as many as the mock says it refused.
    expect(summary.counts.errors).toBe(limited);
    const refused = summary.telemetry.find(
      (t: { name: string }) => t.name === 'tokenstorm:requests_rate_limited_total',
    );
    expect(refused.points.at(-1)[1]).toBe(limited);
    const windows = new Map<number, { requests: number; ok: number; errors: number }>(
      summary.windows.map((w: { start_s: number }) => [w.start_s, w]),
    );
    // Under the quota (5/s for 2 s): no 429.
    expect(windows.get(0)?.errors).toBe(0);
    expect(windows.get(1)?.errors).toBe(0);
    // Deep in the overload (20/s + retries), each second serves the quota, 10, and refuses the rest.
    const overloaded = [3, 4].map((s) => windows.get(s) ?? { requests: 0, ok: 0, errors: 0 });
    const served = overloaded.reduce((n, w) => n + w.ok, 0);
    expect(served).toBeGreaterThanOrEqual(18);
    expect(served).toBeLessThanOrEqual(22);
    expect(overloaded.reduce((n, w) => n + w.errors, 0)).toBe(
      overloaded.reduce((n, w) => n + w.requests - w.ok, 0),
    );
    expect(overloaded.every((w) => w.errors > 0)).toBe(true);
    // Every retry waits what Retry-After said: 1 s (the rest of a 1-s window, rounded up).
    const records = readFileSync(join(out, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Rec);
    const attempts = new Map<string, Rec[]>();
    for (const r of records)
      attempts.set(`${r.vu}/${r.iteration}`, [...(attempts.get(`${r.vu}/${r.iteration}`) ?? []), r]);
    const gaps: number[] = [];
    for (const list of attempts.values()) {
      list.sort((a, b) => (a.attempt ?? 1) - (b.attempt ?? 1));
      for (let i = 1; i < list.length; i++) {
        expect((list[i - 1] as Rec).status).toBe(429);
        gaps.push((list[i] as Rec).sent - (list[i - 1] as Rec).end);
      }
    }
    expect(gaps.length).toBeGreaterThan(20);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(999);
    expect(Math.max(...gaps)).toBeLessThan(1100);
    // Recovery after the drop: the last over-quota second's 429s retry 1 s later (and may be
    // refused once more, max_attempts 3), so 429s stop within 2 retry rounds plus a window.
    const [event] = summary.events;
    expect(event.label).toBe('load drops');
    expect(event.recovery.first_error_s).toBe(0);
    expect(event.recovery.recovery_s).toBeGreaterThanOrEqual(1);
    // Windows are whole seconds and the marker's time is its timer's (±1 ms): 3 windows can read 3.001.
    expect(event.recovery.recovery_s).toBeLessThanOrEqual(3.01);
    expect(windows.get(8)?.errors ?? 0).toBe(0);
  });
});
