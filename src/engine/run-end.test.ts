import { describe, expect, it } from 'vitest';
import type { RunInfo } from '../store/index.js';
import { endRun, endWhileLoading, seconds } from './run-end.js';

function info(extra: Partial<RunInfo> = {}): RunInfo {
  return {
    schema: 'tokenstorm.run/v1',
    name: 't',
    startedAt: '2026-12-08T00:00:00.000Z',
    target: 'mock',
    scenarios: ['chat'],
    ...extra,
  } as RunInfo;
}

function interrupted(reason: string): AbortSignal {
  const c = new AbortController();
  c.abort(reason);
  return c.signal;
}

describe("run.json's aborted and ended", () => {
  it('a run that ran its plan is complete, with no reason', () => {
    const i = info({ durationS: 2, plannedS: 2 });
    endRun(i, new AbortController().signal, undefined, { terminated: [], why: [] });
    expect(i.aborted).toBeUndefined();
    expect(i.ended?.complete).toBe(true);
    expect(i.ended?.reason).toBeUndefined();
    expect(i.ended?.terminatedWorkers).toBeUndefined();
  });

  it('an interrupt wins over an early stop and says after how long of the plan', () => {
    const i = info({ durationS: 1.44, plannedS: 10 });
    endRun(i, interrupted('SIGINT'), 'budget: the next request would exceed max_requests 5', {
      terminated: [],
      why: [],
    });
    expect(i.aborted).toBe('SIGINT');
    expect(i.ended).toMatchObject({ complete: false, reason: 'interrupted by SIGINT after 1.4 s of 10 s' });
  });

  it('an early stop names its reason; terminated workers add theirs and are listed', () => {
    const i = info({ durationS: 3 });
    endRun(i, undefined, 'budget: the next request would exceed max_requests 5', {
      terminated: [1],
      why: ['load worker 1 did not stop by the deadline and was terminated'],
    });
    expect(i.aborted).toBe('budget: the next request would exceed max_requests 5');
    expect(i.ended).toMatchObject({
      complete: false,
      reason:
        'stopped after 3 s: budget: the next request would exceed max_requests 5; load worker 1 did not stop by the deadline and was terminated',
      terminatedWorkers: [1],
    });
  });

  it('a run interrupted while loading lasted 0 s and did not start', () => {
    const i = info();
    endWhileLoading(i, 'SIGINT');
    expect(i.durationS).toBe(0);
    expect(i.aborted).toBe('SIGINT');
    expect(i.ended).toMatchObject({
      complete: false,
      reason: 'interrupted by SIGINT while loading: the load did not start',
    });
  });

  it('seconds are rounded to a tenth for messages', () => {
    expect(seconds(1449)).toBe('1.4');
    expect(seconds(5000)).toBe('5');
  });
});
