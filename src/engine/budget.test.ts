import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import type { RequestRecord } from '../core/index.js';
import { priceTableOf } from '../metrics/index.js';
import type { CompiledStep } from '../protocols/index.js';
import { Budget, budgetBuffer, FIRST_OUTPUT_GUESS } from './budget.js';

const prices = priceTableOf({ cheap: { input: 1000, output: 2000 }, dear: { input: 10000, output: 20000 } });

function step(extra: Partial<CompiledStep> = {}): CompiledStep {
  return { model: 'cheap', maxTokens: 20, inputTokensClient: 10, body: '{}', ...extra } as CompiledStep;
}

/** A model's answer as the budget is told of it: its model, tokens and cost. */
function answered(model: string, input: number, output: number, costUsd: number): RequestRecord {
  return recordOf({ model, inputTokens: input, outputTokens: output, costUsd });
}

describe('budget caps shared by workers', () => {
  it('refuses the attempt whose worst case would cross max_cost_usd, counting both workers in flight', () => {
    // Worst case of a step: 10 × $1000 + 20 × $2000 per million = $0.05.
    const shared = budgetBuffer();
    const reasons: string[] = [];
    const a = new Budget(shared, { max_cost_usd: 0.12 }, prices, (r) => reasons.push(`a: ${r}`));
    const b = new Budget(shared, { max_cost_usd: 0.12 }, prices, (r) => reasons.push(`b: ${r}`));
    const first = a.admit(step());
    const second = b.admit(step());
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    // Two in flight hold $0.10: a third would hold $0.15 > $0.12.
    expect(a.admit(step())).toBeUndefined();
    expect(reasons).toEqual([expect.stringMatching(/^a: budget: .*max_cost_usd 0\.12/)]);
    expect(a.used().costUsd).toBeCloseTo(0.1, 9);
    // The first answer cost less than its worst case: its record counts, its reservation goes.
    a.spend(answered('cheap', 10, 5, 0.02));
    a.release(first as number);
    expect(b.used().costUsd).toBeCloseTo(0.07, 9);
    // b never refused, so it may still admit what fits: 0.07 + 0.05 = 0.12.
    expect(b.admit(step())).toBeDefined();
    expect(b.admit(step())).toBeUndefined();
  });

  it('caps attempts and tokens', () => {
    const requests = new Budget(budgetBuffer(), { max_requests: 2 }, prices, () => undefined);
    const r1 = requests.admit(step());
    requests.spend(answered('cheap', 10, 20, 0.05));
    requests.release(r1 as number);
    expect(requests.admit(step())).toBeDefined();
    expect(requests.admit(step())).toBeUndefined();
    const tokens = new Budget(budgetBuffer(), { max_tokens: 59 }, prices, () => undefined);
    expect(tokens.admit(step())).toBeDefined(); // 30 tokens
    expect(tokens.admit(step())).toBeUndefined(); // 60 > 59
  });

  it('without max_tokens, guesses the output from the run so far, priced at the dearest model that answered', () => {
    const budget = new Budget(budgetBuffer(), { max_cost_usd: 100 }, prices, () => undefined);
    const noMax = step({ maxTokens: undefined });
    const first = budget.admit(noMax) as number;
    // Before any answer: the first guess of output tokens.
    expect(budget.used().tokens).toBe(10 + FIRST_OUTPUT_GUESS);
    budget.release(first);
    // A router answered with the dearer model, 40 tokens: twice the mean at the dear price.
    budget.spend(answered('dear', 10, 40, 0.9));
    const before = budget.used().costUsd;
    budget.admit(noMax);
    expect(budget.used().costUsd - before).toBeCloseTo((10 * 10000 + 80 * 20000) / 1e6, 9);
  });
});
