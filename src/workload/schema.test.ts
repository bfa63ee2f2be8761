import { describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { ConfigError } from '../core/index.js';

const load = { executor: 'constant-vus', vus: 1, iterations: 1 };

function errorOf(raw: unknown): string {
  try {
    parseTest(raw, 'chat.yaml');
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('workload fields in the test file', () => {
  it('names the field of a bad template, capture, feeder, cancel and retry', () => {
    const message = errorOf({
      load,
      scenarios: [
        {
          name: 's',
          cancel: { probability: 1.5, after_ms: 10 },
          retry: { on: ['http_4xx'] },
          feeder: { file: 'x.csv', strategy: 'shuffled' },
          steps: [{ http: { url: '/', capture: { token: { json: 'token', header: 'x' } } } }],
        },
      ],
    });
    expect(message).toContain(
      'chat.yaml: scenarios[0].cancel.probability: expected a probability between 0 and 1',
    );
    expect(message).toContain('scenarios[0].retry.on[0]');
    expect(message).toContain('scenarios[0].feeder.strategy');
    expect(message).toContain(
      'scenarios[0].steps[0].http.capture.token: expected exactly one of "json", "regex", "header" or "cookie"',
    );
  });

  it('names the field of a template that does not compile', () => {
    const message = errorOf({
      load,
      scenarios: [
        {
          name: 's',
          steps: [
            { http: { url: '/{{ nope.x }}' } },
            { chat: { model: 'm', messages: [{ role: 'user', content: '{{ random.dice(6) }}' }] } },
          ],
        },
      ],
    });
    expect(message).toContain(
      'chat.yaml: scenarios[0].steps[0].http.url: {{ nope.x }}: unknown variable "nope"',
    );
    expect(message).toContain(
      'scenarios[0].steps[1].chat.messages[0].content: {{ random.dice(6) }}: unknown helper random.dice',
    );
  });

  it('requires exactly one of steps, session or flow', () => {
    expect(errorOf({ load, scenarios: [{ name: 's' }] })).toContain(
      'scenarios[0].steps: expected exactly one of "steps", "session" or "flow"',
    );
    expect(
      errorOf({
        load,
        scenarios: [
          {
            name: 's',
            steps: [{ http: { url: '/' } }],
            session: { turns: 2, user_messages: ['hi'], chat: { model: 'm' } },
          },
        ],
      }),
    ).toContain('got steps and session');
  });

  it('accepts a chat step with synthetic instead of messages, and a session', () => {
    const test = parseTest(
      {
        load,
        scenarios: [
          { name: 'a', steps: [{ chat: { model: 'm', synthetic: { prompt_tokens: 100 } } }] },
          {
            name: 'b',
            session: {
              turns: { dist: 'uniform', min: 1, max: 3 },
              user_messages: ['{{ turn }}'],
              chat: { model: 'm' },
            },
          },
        ],
      },
      'ok.yaml',
    );
    expect(test.scenarios[1]?.session?.chat.stream).toBe(true);
    expect(errorOf({ load, scenarios: [{ name: 'a', steps: [{ chat: { model: 'm' } }] }] })).toContain(
      'scenarios[0].steps[0]',
    );
  });
});
