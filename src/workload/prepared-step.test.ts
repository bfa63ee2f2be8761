import { encode } from 'gpt-tokenizer';
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

  it('compiles a synthetic prompt with its exact count, without tokenizing it per request', () => {
    const steps: [string, Step][] = [
      [
        'chat',
        { chat: { model: 'm', synthetic: { prompt_tokens: { dist: 'uniform', min: 50, max: 3000 } } } },
      ],
      [
        'chat with a shared prefix',
        { chat: { model: 'm', synthetic: { prompt_tokens: 700, shared_prefix: { groups: 3, tokens: 90 } } } },
      ],
      ['completion', { completion: { model: 'm', synthetic: { prompt_tokens: 1200 } } }],
      [
        'completion with a shared prefix',
        {
          completion: {
            model: 'm',
            synthetic: { prompt_tokens: 40, shared_prefix: { groups: 2, tokens: 33 } },
          },
        },
      ],
    ] as unknown as [string, Step][];
    for (const [what, config] of steps) {
      const step = new PreparedStep(config, 0, defaults, 5);
      for (let iteration = 0; iteration < 4; iteration++) {
        const built = step.build({ ...scope(iteration), rng: createRng(iteration) });
        // Compiled in build() with the count synthesis knows; before, every request tokenized it.
        expect('origin' in built, what).toBe(true);
        const compiled = built as CompiledStep;
        const body = JSON.parse(compiled.body as string) as {
          messages?: { content: string }[];
          prompt?: string;
        };
        const text = body.messages?.map((m) => m.content).join('\n') ?? (body.prompt as string);
        expect(compiled.inputTokensClient, what).toBe(encode(text).length);
      }
    }
  });

  it('leaves a synthetic prompt beside messages of the step to be counted when compiled', () => {
    const config = {
      chat: {
        model: 'm',
        messages: [{ role: 'user', content: 'a {{ iteration }}' }],
        synthetic: { prompt_tokens: 9 },
      },
    } as unknown as Step;
    const built = new PreparedStep(config, 0, defaults, 5).build(scope(1));
    expect('origin' in built).toBe(false);
  });
});
