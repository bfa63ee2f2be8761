import { describe, expect, it } from 'vitest';
import { redactSecrets } from './run-dir.js';

describe('redactSecrets', () => {
  it('redacts keys embedded in header values, such as a gateway config with api_key fields', () => {
    const config = JSON.stringify({
      targets: [{ api_key: 'plain-key', custom_host: 'http://h' }, { x: 'sk-abcdefgh123' }],
    });
    const out = redactSecrets({ headers: { 'x-portkey-config': config }, max_tokens: 5 }) as {
      headers: Record<string, string>;
    };
    expect(out.headers['x-portkey-config']).toBe(
      '{"targets":[{"api_key":"[redacted]","custom_host":"http://h"},{"x":"[redacted]"}]}',
    );
    expect(JSON.stringify(out)).not.toMatch(/plain-key|sk-abcdefgh123/);
    expect(redactSecrets({ headers: { authorization: 'Bearer x' } })).toEqual({
      headers: { authorization: '[redacted]' },
    });
  });
});
