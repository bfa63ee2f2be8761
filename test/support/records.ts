/**
 * Request records for unit tests: the fields every record has, with values a
 * test can override.
 */
import type { RequestRecord } from '../../src/core/index.js';

/** An ok chat record sent at 0 and ended at 100 ms; `over` replaces any field. */
export function recordOf(over: Partial<RequestRecord> = {}): RequestRecord {
  return {
    id: 0,
    scenario: 'chat',
    step: 0,
    stepName: 'chat',
    kind: 'chat',
    vu: 1,
    iteration: 0,
    outcome: 'ok',
    scheduled: 0,
    sent: 0,
    end: 100,
    schedulingLagMs: 0,
    ...over,
  };
}
