import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { ownTallySelectors, RunAggregator } from '../metrics/index.js';
import { createThresholdSource, type ThresholdSource } from './threshold-source.js';
import { evaluateThresholds, failingAbortThreshold, hasAbortOnFail, thresholdsPassed } from './thresholds.js';

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

  it('judges vectors_per_s and embedding_tokens_per_s of embedding steps, by step and by own-tally selector', () => {
    const thresholds = {
      vectors_per_s: ['> 5'],
      'vectors_per_s{step:embed}': ['>= 4'],
      'embedding_tokens_per_s{step:embed}': ['rate == 12'],
      'vectors_per_s{scenario:rag,step:batch}': ['== 2'],
      'vectors_per_s{step:chat}': ['> 0'],
    };
    const agg = new RunAggregator({ selectors: ownTallySelectors(Object.keys(thresholds)) });
    const embed = { scenario: 'rag', kind: 'embedding', ttftMs: undefined } as const;
    // 10 s: "embed" returns 4 vectors/s (40 single inputs, 3 tokens each), "batch" 2/s (5 batches of 4).
    for (let i = 0; i < 40; i++) agg.add(rec({ ...embed, stepName: 'embed', vectors: 1, inputTokens: 3 }));
    for (let i = 0; i < 5; i++)
      agg.add(rec({ ...embed, step: 1, stepName: 'batch', vectors: 4, inputTokensClient: 8 }));
    // A failed embedding returned no vectors: it counts in no rate.
    agg.add(rec({ ...embed, stepName: 'embed', outcome: 'error', error: 'http_5xx' }));
    agg.add(rec({ step: 2, stepName: 'chat' }));
    const core = agg.snapshot({ name: 't', startedAt: '', durationS: 10 });
    const results = evaluateThresholds(thresholds, createThresholdSource(agg, core));
    expect(results.map((r) => [r.metric, r.value, r.passed, r.note])).toEqual([
      ['vectors_per_s', 6, true, undefined],
      ['vectors_per_s{step:embed}', 4, true, undefined],
      ['embedding_tokens_per_s{step:embed}', 12, true, undefined],
      ['vectors_per_s{scenario:rag,step:batch}', 2, true, undefined],
      ['vectors_per_s{step:chat}', null, false, 'no data: no vectors_per_s in step "chat"'],
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

describe('selectors beyond scenario and step (stage, turn, model, tag, check), and checks', () => {
  const thresholds = {
    'ttft_ms{stage:peak}': ['p99 < 150'],
    'ttft_ms{stage:0}': ['max < 20'],
    'ttft_ms{stage:peak,model:big}': ['min >= 300'],
    'ttft_ms{model:small}': ['max < 200'],
    'error_rate{turn:2}': ['< 0.1'],
    'output_tokens{tag:rag}': ['mean > 40'],
    'e2e_ms{scenario:chat,step:summary}': ['count == 10'],
    'errors{stage:peak}': ['count == 5'],
    output_tokens: ['p50 < 100', 'max <= 400'],
    checks: ['rate > 0.99'],
    'checks{check:json}': ['rate > 0.9'],
    'checks{check:contains}': ['rate == 1'],
    'checks{stage:peak,check:json}': ['rate >= 0.75'],
    'ttft_ms{stage:cooldown}': ['p99 < 100'],
    'checks{check:nope}': ['rate > 0.5'],
    'checks{scenario:other}': ['rate > 0.5'],
  };
  const labels = (scenario: string, step: string) =>
    scenario === 'chat' && step === 'summary'
      ? { model: 'big', tags: ['rag'] }
      : scenario === 'chat'
        ? { model: 'small' }
        : undefined;
  const stages = [
    { name: 'warm', startMs: 0, endMs: 1000 },
    { name: 'peak', startMs: 1000, endMs: 2000 },
    { name: 'cooldown', startMs: 2000, endMs: 3000 },
  ];
  /** 10 warm answers (TTFT 10 ms, all checks pass), 20 at peak: 10 small (TTFT 100), 10 big (TTFT 300, 5 fail json). */
  function records(): RequestRecord[] {
    const out: RequestRecord[] = [];
    for (let i = 0; i < 10; i++) {
      out.push(
        rec({ scheduled: 10 * i, end: 500, ttftMs: 10, outputTokens: 20, turn: 1, checks: { json: true } }),
      );
    }
    for (let i = 0; i < 10; i++) {
      out.push(rec({ scheduled: 1000 + i, end: 1500, ttftMs: 100, outputTokens: 30, turn: 2 }));
      const bad = i % 2 === 0;
      out.push(
        rec({
          scheduled: 1000 + i,
          end: 1600,
          stepName: 'summary',
          step: 1,
          ttftMs: 300,
          outputTokens: 400,
          checks: { json: !bad, contains: true },
          ...(bad ? { outcome: 'error' as const, error: 'check_failed' as const } : {}),
        }),
      );
    }
    return out;
  }
  const selectors = ownTallySelectors(Object.keys(thresholds));

  function evaluate(agg: RunAggregator) {
    const core = agg.snapshot({ name: 't', startedAt: '', durationS: 3 });
    return evaluateThresholds(thresholds, createThresholdSource(agg, core));
  }

  it('judges each selector on the records it picks, and notes a selector or check with no samples', () => {
    const agg = new RunAggregator({ stages, selectors, labels });
    for (const r of records()) agg.add(r);
    const results = evaluate(agg);
    const error = (metric: string) => results.find((r) => r.metric === metric);
    expect(results.map((r) => [r.metric, r.expr, r.value, r.passed, r.note])).toEqual([
      ['ttft_ms{stage:peak}', 'p99 < 150', 300, false, undefined],
      ['ttft_ms{stage:0}', 'max < 20', 10, true, undefined],
      // Only the big model's answers at peak; an errored (check_failed) answer has no TTFT sample.
      ['ttft_ms{stage:peak,model:big}', 'min >= 300', 300, true, undefined],
      ['ttft_ms{model:small}', 'max < 200', 100, true, undefined],
      ['error_rate{turn:2}', '< 0.1', 0, true, undefined],
      ['output_tokens{tag:rag}', 'mean > 40', 400, true, undefined],
      ['e2e_ms{scenario:chat,step:summary}', 'count == 10', 5, false, undefined],
      ['errors{stage:peak}', 'count == 5', 5, true, undefined],
      ['output_tokens', 'p50 < 100', 30, true, undefined],
      ['output_tokens', 'max <= 400', 400, true, undefined],
      // 10 + 5 + 10 passes of 30 check evaluations.
      ['checks', 'rate > 0.99', 0.833333, false, undefined],
      ['checks{check:json}', 'rate > 0.9', 0.75, false, undefined],
      ['checks{check:contains}', 'rate == 1', 1, true, undefined],
      ['checks{stage:peak,check:json}', 'rate >= 0.75', 0.5, false, undefined],
      [
        'ttft_ms{stage:cooldown}',
        'p99 < 100',
        null,
        false,
        'no samples: no request matched {stage:cooldown}',
      ],
      ['checks{check:nope}', 'rate > 0.5', null, false, 'no samples: check "nope" never ran'],
      ['checks{scenario:other}', 'rate > 0.5', null, false, 'no data: scenario "other" not found'],
    ]);
    expect(error('ttft_ms{stage:peak}')?.blocking).toBe(true);
  });

  it("reads the response's model when records carry one, before the step's configured model", () => {
    const agg = new RunAggregator({ stages, selectors, labels });
    // A router answered with the big model on the small step.
    for (const r of records())
      agg.add(r.stepName === 'chat' && r.scheduled >= 1000 ? ({ ...r, model: 'big' } as RequestRecord) : r);
    const byModel = evaluate(agg).find((r) => r.metric === 'ttft_ms{stage:peak,model:big}');
    expect(byModel?.value).toBe(100);
  });

  it('gives the same verdicts from merged worker states as from the records in one aggregator', () => {
    const whole = new RunAggregator({ stages, selectors, labels });
    const merged = new RunAggregator({ stages, selectors, labels });
    const parts = [0, 1, 2].map(() => new RunAggregator({ stages, selectors, labels }));
    records().forEach((r, i) => {
      whole.add(r);
      parts[i % 3]?.add(r);
    });
    for (const p of parts) merged.merge(structuredClone(p.encode()));
    expect(evaluate(merged)).toEqual(evaluate(whole));
  });

  it('reports checks per check in the summary, overall, by scenario, step, stage and window', () => {
    const agg = new RunAggregator({ stages, selectors, labels });
    for (const r of records()) agg.add(r);
    const core = agg.snapshot({ name: 't', startedAt: '', durationS: 3 });
    expect(core.checks).toEqual({
      passes: 25,
      fails: 5,
      rate: 0.833333,
      byCheck: { contains: { passes: 10, fails: 0, rate: 1 }, json: { passes: 15, fails: 5, rate: 0.75 } },
    });
    expect(core.scenarios.chat?.checks?.rate).toBe(0.833333);
    expect(core.steps.summary?.checks?.byCheck.json?.rate).toBe(0.5);
    expect(core.steps.chat?.checks?.byCheck.json?.rate).toBe(1);
    expect(core.stages?.map((s) => s.checks?.byCheck.json?.rate)).toEqual([1, 0.5, undefined]);
    expect(core.windows.map((w) => w.checks?.fails ?? 0)).toEqual([0, 5]);
  });
});

describe('abortOnFail during the run', () => {
  it('judges only abortOnFail thresholds past their delay, and never aborts on no samples yet', () => {
    const thresholds = {
      ttft_ms: [
        'p99 < 1',
        { threshold: 'p50 < 10', abortOnFail: true, delayAbortEval: 5000 },
        { threshold: 'p50 < 1000', abortOnFail: true },
      ],
      'ttft_ms{scenario:rag}': [{ threshold: 'max < 100', abortOnFail: true, delayAbortEval: 2000 }],
      ttfb_ms: [{ threshold: 'p99 < 1', abortOnFail: true }],
    };
    expect(hasAbortOnFail(thresholds)).toBe(true);
    expect(hasAbortOnFail({ ttft_ms: ['p99 < 1', { threshold: 'p50 < 1', blocking: false }] })).toBe(false);
    const src = source();
    // At 1 s: the delayed ones wait, the plain `p99 < 1` is no abortOnFail, ttfb_ms has no samples.
    expect(failingAbortThreshold(thresholds, src, 1000)).toBeUndefined();
    // At 2 s the rag scenario's max (500 ms) is judged and fails.
    expect(failingAbortThreshold(thresholds, src, 2000)).toMatchObject({
      metric: 'ttft_ms{scenario:rag}',
      expr: 'max < 100',
      value: 500,
      passed: false,
    });
    // At 5 s the earlier entry in the order written fails first.
    expect(failingAbortThreshold(thresholds, src, 5000)).toMatchObject({
      metric: 'ttft_ms',
      expr: 'p50 < 10',
    });
  });
});
