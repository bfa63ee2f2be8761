import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import { Tally } from './tally.js';

describe('Tally.merge', () => {
  it('equals counting every record in one tally, retries included', () => {
    const records = [
      recordOf({ ttftMs: 10, e2eMs: 50, outputTokens: 5 }),
      recordOf({ outcome: 'error', error: 'rate_limited', attempt: 1 }),
      recordOf({ ttftMs: 30, e2eMs: 90, outputTokens: 7, attempt: 2 }),
      recordOf({ outcome: 'cancelled', ttftMs: 20 }),
    ];
    const one = new Tally();
    for (const r of records) one.add(r, r.outcome === 'ok');
    const left = new Tally();
    const right = new Tally();
    for (const [i, r] of records.entries()) (i < 2 ? left : right).add(r, r.outcome === 'ok');
    left.merge(right);
    expect(left.counts()).toEqual(one.counts());
    expect(left.rates(2)).toEqual(one.rates(2));
    // 4 attempts for 3 logical requests: the merge must keep the denominator.
    expect(left.rates(2).retry_amplification).toBeCloseTo(4 / 3, 10);
    expect(left.metrics()).toEqual(one.metrics());
    expect(left.tokens).toEqual(one.tokens);
  });
});
