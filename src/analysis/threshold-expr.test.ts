import { describe, expect, it } from 'vitest';
import { parseThreshold, parseThresholdExpr, parseThresholdMetric } from './threshold-expr.js';

describe('parseThresholdExpr', () => {
  it.each([
    ['p99 < 2000', { stat: { kind: 'percentile', p: 99 }, op: '<', value: 2000 }],
    ['p99.9<=5000', { stat: { kind: 'percentile', p: 99.9 }, op: '<=', value: 5000 }],
    ['p(95) > 1.5', { stat: { kind: 'percentile', p: 95 }, op: '>', value: 1.5 }],
    ['  < 0.01 ', { stat: undefined, op: '<', value: 0.01 }],
    ['avg >= 10', { stat: { kind: 'mean' }, op: '>=', value: 10 }],
    ['mean == 3', { stat: { kind: 'mean' }, op: '==', value: 3 }],
    ['max != -1', { stat: { kind: 'max' }, op: '!=', value: -1 }],
    ['min > 1e3', { stat: { kind: 'min' }, op: '>', value: 1000 }],
    ['count < 10', { stat: { kind: 'count' }, op: '<', value: 10 }],
    ['rate < .5', { stat: { kind: 'rate' }, op: '<', value: 0.5 }],
    ['P50 < 3', { stat: { kind: 'percentile', p: 50 }, op: '<', value: 3 }],
  ])('parses %s', (expr, expected) => {
    expect(parseThresholdExpr(expr)).toEqual(expected);
  });

  it.each([
    ['', /expected an operator/],
    ['p99', /expected an operator/],
    ['p99 = 2000', /use == for equality/],
    ['p99 < ', /expected a number after "<", got nothing/],
    ['p99 < 2s', /expected a number after "<", got "2s"/],
    ['p99 < 1 < 2', /expected a number/],
    ['p101 < 5', /above 100/],
    ['median < 5', /unknown statistic "median"/],
    ['p99x < 5', /unknown statistic/],
  ])('rejects %j', (expr, message) => {
    expect(() => parseThresholdExpr(expr)).toThrow(message);
  });

  it('checks the statistic against the metric when given one', () => {
    expect(() => parseThresholdExpr('< 2000', 'ttft_ms')).toThrow(
      /ttft_ms needs a statistic, e.g. "p99 < 2000"/,
    );
    expect(() => parseThresholdExpr('rate < 2', 'ttft_ms')).toThrow(/"rate" does not apply/);
    expect(() => parseThresholdExpr('p99 < 0.01', 'error_rate')).toThrow(/error_rate is a rate/);
    expect(() => parseThresholdExpr('p99 < 3', 'errors')).toThrow(/errors is a count/);
    expect(parseThresholdExpr('rate < 0.01', 'error_rate').stat).toEqual({ kind: 'rate' });
    expect(parseThresholdExpr('< 10', 'errors').stat).toBeUndefined();
    expect(parseThresholdExpr('rate < 1', 'dropped').stat).toEqual({ kind: 'rate' });
    expect(parseThresholdExpr('p95 < 5000', 'e2e_ms{scenario:chat}').op).toBe('<');
  });
});

describe('parseThresholdMetric', () => {
  it('reads names and scenario selectors', () => {
    expect(parseThresholdMetric('ttft_ms')).toEqual({
      name: 'ttft_ms',
      kind: 'histogram',
      scenario: undefined,
    });
    expect(parseThresholdMetric('e2e_ms{scenario:chat}')).toEqual({
      name: 'e2e_ms',
      kind: 'histogram',
      scenario: 'chat',
    });
    expect(parseThresholdMetric('error_rate{ scenario: "my chat" }').scenario).toBe('my chat');
    expect(parseThresholdMetric('dropped').kind).toBe('count');
    expect(parseThresholdMetric('goodput_per_s').kind).toBe('rate');
  });

  it('reads step selectors and logical names', () => {
    expect(parseThresholdMetric('e2e_ms{step:chat:0}')).toEqual({
      name: 'e2e_ms',
      kind: 'histogram',
      scenario: undefined,
      step: 'chat:0',
    });
    expect(parseThresholdMetric('logical.error_rate').kind).toBe('rate');
    expect(parseThresholdMetric('logical.errors{step:"GET /models"}')).toMatchObject({
      kind: 'count',
      step: 'GET /models',
    });
    expect(parseThresholdMetric('e2e_logical_ms').kind).toBe('histogram');
    expect(() => parseThresholdMetric('logical.nope')).toThrow(/unknown metric "logical.nope"/);
    expect(() => parseThresholdMetric('ttft_ms{step:}')).toThrow(/empty step name/);
  });

  it('rejects unknown names and selectors', () => {
    expect(() => parseThresholdMetric('ttft')).toThrow(/unknown metric "ttft" \(expected one of ttft_ms/);
    expect(() => parseThresholdMetric('ttft_ms{status:200}')).toThrow(/unsupported selector/);
    expect(() => parseThresholdMetric('ttft_ms{scenario:}')).toThrow(/empty scenario/);
    expect(() => parseThresholdMetric('ttft ms')).toThrow(/invalid threshold metric/);
  });

  it('parses a whole entry', () => {
    expect(parseThreshold('ttft_ms{scenario:a}', 'p99.9 < 10')).toEqual({
      name: 'ttft_ms',
      kind: 'histogram',
      scenario: 'a',
      stat: { kind: 'percentile', p: 99.9 },
      op: '<',
      value: 10,
    });
  });
});

describe('selectors of the second cut', () => {
  it('reads stage, turn, model, tag and check selectors, combined', () => {
    expect(parseThresholdMetric('ttft_ms{stage:peak,model:gpt-4o-mini}')).toEqual({
      name: 'ttft_ms',
      kind: 'histogram',
      scenario: undefined,
      selector: { stage: 'peak', model: 'gpt-4o-mini' },
    });
    expect(parseThresholdMetric('error_rate{scenario:chat, turn:3}').selector).toEqual({
      scenario: 'chat',
      turn: '3',
    });
    expect(parseThresholdMetric('e2e_ms{tag:rag}').selector).toEqual({ tag: 'rag' });
    expect(parseThresholdMetric('checks')).toEqual({ name: 'checks', kind: 'rate', scenario: undefined });
    expect(parseThresholdMetric('checks{check:json}')).toEqual({
      name: 'checks',
      kind: 'rate',
      scenario: undefined,
      check: 'json',
    });
    expect(parseThresholdMetric('checks{stage:1,check:json}')).toMatchObject({
      check: 'json',
      selector: { stage: '1', check: 'json' },
    });
    // A scenario or a step alone is served by their own tallies: no selector of its own.
    expect(parseThresholdMetric('ttft_ms{step:chat:0}').selector).toBeUndefined();
    expect(parseThresholdMetric('output_tokens').kind).toBe('histogram');
  });

  it('rejects what cannot select', () => {
    expect(() => parseThresholdMetric('ttft_ms{check:json}')).toThrow(/applies to "checks" only/);
    expect(() => parseThresholdMetric('ttft_ms{turn:first}')).toThrow(/not a turn number/);
    expect(() => parseThresholdMetric('ttft_ms{stage:a,stage:b}')).toThrow(/stage given twice/);
    expect(() => parseThresholdMetric('ttft_ms{region:eu}')).toThrow(
      /unsupported selector "region:eu".*stage:NAME/,
    );
    expect(() => parseThresholdExpr('p99 > 0.9', 'checks')).toThrow(/checks is a rate/);
  });
});
