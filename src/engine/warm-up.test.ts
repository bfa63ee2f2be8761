import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { warmUp } from './warm-up.js';

function testWith(steps: unknown[]) {
  return parseTest(
    {
      target: 'http://127.0.0.1:9/v1',
      scenarios: [{ name: 's', steps }],
      load: { executor: 'constant-vus', vus: 1, iterations: 1 },
    },
    'inline',
  );
}

describe('warmUp', () => {
  it('sends only the kinds of request the test sends, and they succeed', async () => {
    const test = testWith([
      { chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } },
      { completion: { model: 'm', prompt: 'hi', stream: false } },
    ]);
    const result = await warmUp({ test, requests: 60, concurrency: 4 });
    expect(result.kinds.sort()).toEqual(['chat', 'completion-json']);
    expect(result).toMatchObject({ sent: 60, ok: 60 });
  });

  it('warms every kind for a test that sends plain HTTP, JSON chat and streamed completions', async () => {
    const test = testWith([
      { http: { url: '/health' } },
      { chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: false } },
      { completion: { model: 'm', prompt: 'hi' } },
    ]);
    const result = await warmUp({ test, requests: 90, concurrency: 8 });
    expect(result.kinds.sort()).toEqual(['chat-json', 'completion', 'http']);
    expect(result).toMatchObject({ sent: 90, ok: 90 });
  });

  it('sends nothing when asked for no requests, and stops at its time bound', async () => {
    expect(await warmUp({ requests: 0 })).toMatchObject({ sent: 0 });
    // Without the time bound this would run for minutes and hit the test timeout.
    const bounded = await warmUp({ requests: 1_000_000, maxMs: 200 });
    expect(bounded.sent).toBeGreaterThan(0);
    expect(bounded.sent).toBeLessThan(1_000_000);
  });
});
