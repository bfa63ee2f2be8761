import { describe, expect, it } from 'vitest';
import { recordOf as record } from '../../test/support/records.js';
import { billedTokensOf, costOf, priceRecord } from './cost.js';
import { BUILTIN_PRICES, priceOf, priceTableOf } from './prices.js';

describe('cost of a request', () => {
  it('bills input, cached input and output at their prices, to the nano-dollar', () => {
    // 1,200 prompt tokens of which 1,000 cached, 350 completion tokens at gpt-4o-mini's shipped price:
    // 200 × $0.15 + 1,000 × $0.075 + 350 × $0.60 per million = $0.000315.
    const price = BUILTIN_PRICES['gpt-4o-mini'];
    if (price === undefined) throw new Error('gpt-4o-mini is not in the table');
    expect(costOf(price, { input: 1200, cached: 1000, output: 350 })).toBeCloseTo(0.000315, 12);
    // Without a cached price, cached tokens cost the input price.
    expect(costOf({ input: 2, output: 8 }, { input: 1000, cached: 400, output: 500 })).toBeCloseTo(0.006, 12);
    // More cached than prompt tokens (a server's mistake) never makes a negative charge.
    expect(
      costOf({ input: 1, cached_input: 0.5, output: 1 }, { input: 10, cached: 99, output: 0 }),
    ).toBeCloseTo(0.000005, 12);
  });

  it("prices a record from the server's usage, else the client's count, marked as estimated", () => {
    const table = priceTableOf({ tiny: { input: 1000, output: 3000 } });
    const served = record({
      model: 'tiny',
      inputTokens: 10,
      outputTokens: 20,
      inputTokensClient: 9,
      outputTokensClient: 19,
    });
    expect(priceRecord(served, table)).toBe(0.07);
    expect(served.costUsd).toBe(0.07);
    expect(served.costEstimated).toBeUndefined();
    const counted = record({ model: 'tiny', inputTokensClient: 9, outputTokensClient: 19 });
    expect(priceRecord(counted, table)).toBe(0.066);
    expect(counted.costEstimated).toBe(true);
  });

  it('charges no failed request without usage, nor an unpriced model, nor a plain HTTP step', () => {
    const table = priceTableOf({ tiny: { input: 1, output: 1 } });
    const failed = record({ model: 'tiny', outcome: 'error', error: 'rate_limited', inputTokensClient: 9 });
    expect(billedTokensOf(failed)).toBeUndefined();
    expect(priceRecord(failed, table)).toBeUndefined();
    expect(failed.costUsd).toBeUndefined();
    const unknown = record({ model: 'no-such-model', inputTokens: 5, outputTokens: 5 });
    expect(priceRecord(unknown, table)).toBeUndefined();
    expect(billedTokensOf(unknown)).toEqual({ input: 5, cached: 0, output: 5, estimated: false });
    const http = record({ kind: 'http', model: 'tiny', inputTokens: 5 });
    expect(priceRecord(http, table)).toBeUndefined();
    // A cancelled stream is charged for what arrived.
    const cancelled = record({
      model: 'tiny',
      outcome: 'cancelled',
      inputTokensClient: 4,
      outputTokensClient: 2,
    });
    expect(priceRecord(cancelled, table)).toBeCloseTo(0.000006, 12);
  });

  it('finds a model under a provider prefix or a dated snapshot name, and lets pricing: replace a shipped price', () => {
    expect(priceOf('gpt-4o-mini-2024-07-18', BUILTIN_PRICES)?.model).toBe('gpt-4o-mini');
    expect(priceOf('openai/gpt-4o', BUILTIN_PRICES)?.model).toBe('gpt-4o');
    expect(priceOf('claude-sonnet-4-20250514', BUILTIN_PRICES)?.model).toBe('claude-sonnet-4');
    expect(priceOf('mock-model', BUILTIN_PRICES)).toBeUndefined();
    const table = priceTableOf({ 'gpt-4o': { input: 1, output: 2 } });
    expect(priceOf('gpt-4o', table)?.price).toEqual({ input: 1, output: 2 });
  });

  it('ships a source and a read date with every price', () => {
    for (const [model, price] of Object.entries(BUILTIN_PRICES)) {
      expect(price.source, model).toMatch(/^https:\/\//);
      expect(price.read, model).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.output, model).toBeGreaterThan(0);
    }
  });
});
