import { describe, expect, it } from 'vitest';
import type { Step } from '../config/index.js';
import type { CompiledStep } from '../protocols/index.js';
import { createRng } from '../random/index.js';
import { PreparedStep } from './prepared-step.js';

const defaults = { target: 'http://127.0.0.1:1/v1', headers: { authorization: 'Bearer k' }, timeoutMs: 1000 };
const scope = (iteration: number) => ({ vu: 1, iteration, scenario: 's', vars: {}, rng: createRng(1) });
const chat = (headers: Record<string, string>): Step =>
  ({
    chat: { model: 'm', max_tokens: 4, stream: true, messages: [{ role: 'user', content: 'hi' }], headers },
  }) as unknown as Step;

describe('PreparedStep', () => {
  it('builds a step with nothing templated once, its headers frozen so the client may reuse its head', () => {
    const step = new PreparedStep(chat({ 'x-team': 'a' }), 0, defaults, 1);
    const first = step.build(scope(1)) as CompiledStep;
    expect(step.build(scope(2))).toBe(first);
    expect(Object.isFrozen(first.headers)).toBe(true);
    expect(first.headers).toMatchObject({ authorization: 'Bearer k', 'x-team': 'a' });
  });

  it('renders a templated step per iteration, leaving it to be compiled with headers of its own', () => {
    const step = new PreparedStep(chat({ 'x-id': 'it{{ iteration }}' }), 0, defaults, 1);
    const a = step.build(scope(1)) as { chat: { headers: Record<string, string> } };
    const b = step.build(scope(2)) as { chat: { headers: Record<string, string> } };
    expect([a.chat.headers['x-id'], b.chat.headers['x-id']]).toEqual(['it1', 'it2']);
  });
});
