/** `notify:` values are checked when the test loads: a bad one names its field path. */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/index.js';
import { parseTest } from './load-test.js';

const base = {
  scenarios: [
    { name: 'chat', steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'hi' }] } }] },
  ],
  load: { executor: 'constant-vus', vus: 1, duration: '1s' },
};

function error(notify: unknown): string {
  try {
    parseTest({ ...base, notify }, 'test.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('notify:', () => {
  it('takes webhooks with defaults', () => {
    const test = parseTest({ ...base, notify: [{ webhook: 'https://example.com/hook' }] }, 'test.yaml');
    expect(test.notify).toEqual([
      { webhook: 'https://example.com/hook', format: 'generic', on: ['threshold', 'regression', 'anomaly'] },
    ]);
  });

  it('names the field of a bad value', () => {
    expect(error([{ webhook: 'https://example.com/hook', format: 'teams' }])).toMatch(
      /test\.yaml: notify\[0\]\.format: expected one of "generic", "slack"/,
    );
    expect(error([{ webhook: 'ftp://example.com/hook' }])).toMatch(
      /notify\[0\]\.webhook: expected an http\(s\) URL/,
    );
    expect(error([{ webhook: 'https://example.com/hook', on: ['deploy'] }])).toMatch(/notify\[0\]\.on\[0\]/);
    expect(error([{ webhook: 'https://example.com/hook', on: [] }])).toMatch(
      /notify\[0\]\.on: expected at least one/,
    );
    expect(error([{ url: 'https://example.com/hook' }])).toMatch(/notify\[0\]: unknown field "url"/);
  });
});
