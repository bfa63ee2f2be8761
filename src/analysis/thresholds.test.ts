import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from '../metrics/index.js';
import { createThresholdSource, type ThresholdSource } from './threshold-source.js';
import { evaluateThresholds, thresholdsPassed } from './thresholds.js';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return recordOf({
    ttftMs: 100,
    e2eMs: 1000,
    ...over,
  });
}

/** 100 chat requests with TTFT 1..100 ms, 2 rag errors, 1 rag request with TTFT 500. */
function source(): ThresholdSource {
  const agg = new RunAggregator();
  for (let i = 1; i <= 100; i++) agg.add(rec({ ttftMs: i }));
  agg.add(rec({ scenario: 'rag', outcome: 'error', error: 'http_5xx' }));
  agg.add(rec({ scenario: 'rag', outcome: 'error', error: 'timeout' }));
  agg.add(rec({ scenario: 'rag', ttftMs: 500 }));
  agg.addDropped(50, 4);
  const core = agg.snapshot({ name: 't', startedAt: '2025-01-01T00:00:00Z', durationS: 10 });
  return createThresholdSource(agg, core);
}

describe('evaluateThresholds', () => {
  it('evaluates histogram statistics, rates and counts', () => {
    const results = evaluateThresholds(
      {
        ttft_ms: ['p99 < 200', 'p50 <= 40', 'max == 500', 'mean > 0', 'count == 101', 'p99.9 < 1000'],
        error_rate: ['< 0.01', { threshold: 'rate < 0.05', blocking: true }],
        requests_per_s: ['>= 10'],
        dropped: ['count == 4', 'rate < 1'],
        errors: ['< 3'],
      },
      source(),
    );
    expect(results.map((r) => [r.metric, r.expr, r.value, r.passed])).toEqual([
      ['ttft_ms', 'p99 < 200', 100.031, true],
      // HDR reports the highest value equivalent to the rank's bucket (within 0.1%).
      ['ttft_ms', 'p50 <= 40', 51.007, false],
      ['ttft_ms', 'max == 500', 500, true],
      ['ttft_ms', 'mean > 0', 54.95, true],
      ['ttft_ms', 'count == 101', 101, true],
      ['ttft_ms', 'p99.9 < 1000', 500, true],
      ['error_rate', '< 0.01', 2 / 103, false],
      ['error_rate', 'rate < 0.05', 2 / 103, true],
      ['requests_per_s', '>= 10', 10.3, true],
      ['dropped', 'count == 4', 4, true],
      ['dropped', 'rate < 1', 0.4, true],
      ['errors', '< 3', 2, true],
    ]);
    expect(results.every((r) => r.blocking)).toBe(true);
    expect(thresholdsPassed(results)).toBe(false);
  });

  it('applies scenario selectors', () => {
    const results = evaluateThresholds(
      {
        'ttft_ms{scenario:rag}': ['p95 < 400'],
        'ttft_ms{scenario:chat}': ['p95 < 400'],
        'error_rate{scenario:rag}': ['< 0.5'],
        'requests{scenario:chat}': ['== 100'],
      },
      source(),
    );
    expect(results.map((r) => [r.value, r.passed])).toEqual([
      [500, false],
      [95.039, true],
      [2 / 3, false],
      [100, true],
    ]);
  });

  it('applies step selectors and judges logical requests apart from attempts', () => {
    const agg = new RunAggregator();
    for (let i = 1; i <= 10; i++) agg.add(rec({ stepName: 'chat:0', e2eMs: 600 + i }));
    for (let i = 1; i <= 10; i++)
      agg.add(rec({ step: 1, stepName: 'http:1', kind: 'http', ttftMs: undefined, e2eMs: i }));
    // Two logical requests: one ok on its second attempt (after a 1-s wait), one that gave up after two.
    const limited = { outcome: 'error', error: 'rate_limited', stepName: 'chat:0' } as const;
    agg.add(rec({ ...limited, vu: 7, attempt: 1, sent: 0, end: 5 }));
    agg.add(
      rec({ stepName: 'chat:0', vu: 7, attempt: 2, sent: 1000, end: 1100, e2eMs: 100, logicalSent: 0 }),
    );
    agg.add(rec({ ...limited, vu: 8, attempt: 1, sent: 0, end: 5 }));
    agg.add(rec({ ...limited, vu: 8, attempt: 2, sent: 1000, end: 1005, logicalSent: 0 }));
    const core = agg.snapshot({ name: 't', startedAt: '2025-01-01T00:00:00Z', durationS: 10 });
    const results = evaluateThresholds(
      {
        'e2e_ms{step:http:1}': ['p95 < 100'],
        'e2e_ms{step:chat:0}': ['p50 < 100'],
        'error_rate{step:http:1}': ['== 0'],
        'e2e_ms{step:nope}': ['p50 < 100'],
        error_rate: ['< 0.1'],
        'logical.error_rate': ['< 0.1'],
        'logical.errors': ['count == 1'],
        'logical.requests{step:chat:0}': ['== 12'],
        e2e_logical_ms: ['max >= 1100'],
      },
      createThresholdSource(agg, core),
    );
    expect(results.map((r) => [r.metric, r.value, r.passed, r.note])).toEqual([
      ['e2e_ms{step:http:1}', 10, true, undefined],
      ['e2e_ms{step:chat:0}', 605.183, false, undefined],
      ['error_rate{step:http:1}', 0, true, undefined],
      ['e2e_ms{step:nope}', null, false, 'no data: step "nope" not found'],
      ['error_rate', 3 / 24, false, undefined],
      ['logical.error_rate', 1 / 22, true, undefined],
      ['logical.errors', 1, true, undefined],
      ['logical.requests{step:chat:0}', 12, true, undefined],
      ['e2e_logical_ms', 1100, true, undefined],
    ]);
  });

  it('does not fail the run on a non-blocking threshold', () => {
    const results = evaluateThresholds(
      { ttft_ms: [{ threshold: 'p99 < 1', blocking: false }, 'p50 < 1000'] },
      source(),
    );
    expect(results.map((r) => [r.blocking, r.passed])).toEqual([
      [false, false],
      [true, true],
    ]);
    expect(thresholdsPassed(results)).toBe(true);
    expect(thresholdsPassed([])).toBe(true);
  });

  it('fails with a note and a null value when there is no data', () => {
    const results = evaluateThresholds(
      {
        ttfb_ms: ['p99 < 100'],
        'ttft_ms{scenario:missing}': ['p99 < 100'],
        'itl_ms{scenario:rag}': ['count == 0'],
      },
      source(),
    );
    expect(results[0]).toMatchObject({
      value: null,
      passed: false,
      note: 'no data: no ttfb_ms values recorded',
    });
    expect(results[1]).toMatchObject({
      value: null,
      passed: false,
      note: 'no data: scenario "missing" not found',
    });
    expect(results[2]).toMatchObject({ value: 0, passed: true });
    expect(thresholdsPassed(results)).toBe(false);

    const empty = new RunAggregator();
    const core = empty.snapshot({ name: 't', startedAt: '', durationS: 0 });
    const none = evaluateThresholds(
      { error_rate: ['< 0.01'], requests: ['rate > 1'] },
      createThresholdSource(empty, core),
    );
    expect(none[0]).toMatchObject({ value: null, passed: false, note: 'no data: no error_rate' });
    expect(none[1]).toMatchObject({ value: null, passed: false, note: 'no data: run duration is 0' });
  });

  it('reports an invalid threshold as failed instead of throwing', () => {
    const [r] = evaluateThresholds({ ttft_ms: ['< 100'], ttft: ['p99 < 1'] }, source());
    expect(r).toMatchObject({ value: null, passed: false });
    expect(r?.note).toMatch(/^invalid: .*needs a statistic/);
  });
});
