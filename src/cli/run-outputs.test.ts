import { describe, expect, it } from 'vitest';
import { RunAggregator } from '../metrics/index.js';
import type { RunInfo } from '../store/index.js';
import { incompleteReason, summarize } from './run-outputs.js';

const base: RunInfo = {
  schema: 'tokenstorm.run/v1',
  name: 't',
  startedAt: '2026-12-07T00:00:00.000Z',
  target: 'mock',
  scenarios: ['s'],
  thresholds: {},
  test: {},
};

describe('incomplete runs', () => {
  it('tells how a run that did not finish ended, from run.json', () => {
    // Killed: no final marker and no duration.
    expect(incompleteReason({ ...base, plannedS: 8 }, 1.4)).toBe(
      'killed after 1.4 s of 8 s (no final marker in run.json)',
    );
    const ended = { at: base.startedAt };
    expect(
      incompleteReason({ ...base, durationS: 8, ended: { ...ended, complete: true } }, 8),
    ).toBeUndefined();
    expect(
      incompleteReason(
        {
          ...base,
          durationS: 3.2,
          ended: { ...ended, complete: false, reason: 'interrupted by SIGINT after 3.2 s' },
        },
        3.2,
      ),
    ).toBe('interrupted by SIGINT after 3.2 s');
    // Written before the marker existed: a duration means it ended, `aborted` that it was interrupted.
    expect(incompleteReason({ ...base, durationS: 8 }, 8)).toBeUndefined();
    expect(incompleteReason({ ...base, durationS: 3, aborted: 'SIGINT', plannedS: 10 }, 3)).toBe(
      'interrupted by SIGINT after 3 s of 10 s',
    );
  });

  it('an incomplete run is never passed, even with no thresholds', () => {
    const aggregator = new RunAggregator({ slos: [] });
    const killed = summarize({ ...base, plannedS: 8 }, aggregator, 1.4);
    expect(killed).toMatchObject({
      passed: false,
      complete: false,
      incomplete: expect.stringContaining('killed'),
    });
    // Next to `passed` in summary.json.
    expect(Object.keys(killed).slice(0, 5)).toEqual(['schema', 'name', 'passed', 'complete', 'incomplete']);
    const done = summarize(
      { ...base, durationS: 8, ended: { at: base.startedAt, complete: true } },
      aggregator,
      8,
    );
    expect(done).toMatchObject({ passed: true, complete: true });
    expect(done.incomplete).toBeUndefined();
  });
});
