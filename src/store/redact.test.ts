import { afterEach, describe, expect, it } from 'vitest';
import { LineEncoder, RecordBatch } from './record-batch.js';
import { forgetSecrets, REDACTED, redactStrings, redactText, rememberSecrets, secretsOf } from './redact.js';
import { redactSecrets } from './run-dir.js';

afterEach(() => forgetSecrets());

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('redactSecrets', () => {
  it('redacts credential headers by name, case-insensitively, in a headers object at any depth', () => {
    const test = {
      target: 'http://127.0.0.1:8000/v1',
      headers: {
        'X-Api-Key': 'plainkey-111',
        'api-key': 'azure-222',
        Authorization: 'Token abc-333',
        COOKIE: 'sid=cookie-444',
        'Proxy-Authorization': 'Basic xyz',
        'x-goog-session-id': 'sess-555',
        'X-Client-Secret': 'sec-666',
        'x-password': 'pw-777',
        'content-type': 'application/json',
        'x-request-id': 'req-1',
      },
      scenarios: [
        {
          name: 'chat',
          steps: [
            {
              http: {
                method: 'GET',
                url: '/x',
                headers: { 'x-auth-token': 'tok-888', accept: 'text/plain' },
              },
            },
          ],
        },
      ],
      telemetry: { targets: [{ url: 'http://h/metrics', headers: { 'Set-Cookie': 'a=b-999' } }] },
    };
    const out = redactSecrets(test) as typeof test;
    const text = JSON.stringify(out);
    for (const secret of ['111', '222', '333', '444', 'xyz', '555', '666', '777', '888', '999'])
      expect(text).not.toContain(secret);
    expect(out.headers['content-type']).toBe('application/json');
    expect(out.headers['x-request-id']).toBe('req-1');
    expect(out.headers['X-Api-Key']).toBe(REDACTED);
    expect(out.scenarios[0]?.steps[0]?.http.headers.accept).toBe('text/plain');
    expect(out.telemetry.targets[0]?.headers['Set-Cookie']).toBe(REDACTED);
    // The original is untouched: requests still send the real values.
    expect(test.headers['X-Api-Key']).toBe('plainkey-111');
  });

  it('redacts secret-named fields anywhere but leaves figures such as max_tokens alone', () => {
    const out = redactSecrets({
      body: { api_key: 'k-1234567', accessToken: 'at-1234567', client_secret: 'cs-1234567', password: 'p' },
      max_tokens: 128,
      synthetic: { prompt_tokens: 'x', max_tokens: { dist: 'fixed', value: 8 } },
      model: 'gpt-4o-mini',
    });
    expect(out).toEqual({
      body: { api_key: REDACTED, accessToken: REDACTED, client_secret: REDACTED, password: REDACTED },
      max_tokens: 128,
      synthetic: { prompt_tokens: 'x', max_tokens: { dist: 'fixed', value: 8 } },
      model: 'gpt-4o-mini',
    });
  });

  it('redacts keys embedded in JSON text, such as a gateway config with api_key fields', () => {
    const config = JSON.stringify({
      targets: [{ api_key: 'plain-key', custom_host: 'http://h' }, { x: 'sk-abcdefgh123' }],
    });
    const out = redactSecrets({ body: { config } }) as { body: { config: string } };
    expect(out.body.config).toBe(
      '{"targets":[{"api_key":"[redacted]","custom_host":"http://h"},{"x":"[redacted]"}]}',
    );
  });
});

describe('redactText', () => {
  it('redacts secret query parameters by name and keeps the others', () => {
    expect(redactText('GET /models?api_key=q-1&x=1&Token=t-2&max_tokens=5')).toBe(
      'GET /models?api_key=[redacted]&x=1&Token=[redacted]&max_tokens=5',
    );
    expect(
      redactText(
        'https://b.blob.core.windows.net/c?sv=2024&sig=abc%2Fdef&X-Amz-Signature=ff00&key=AAA&access_token=z',
      ),
    ).toBe(
      'https://b.blob.core.windows.net/c?sv=2024&sig=[redacted]&X-Amz-Signature=[redacted]&key=[redacted]&access_token=[redacted]',
    );
    expect(redactText('HTTP 404: Cannot GET /v1/missing?apikey=secret1&page=2')).toBe(
      'HTTP 404: Cannot GET /v1/missing?apikey=[redacted]&page=2',
    );
  });

  it('redacts credentials inside a URL', () => {
    expect(redactText('against http://user:pa55@127.0.0.1:8000/v1 with 2 workers')).toBe(
      'against http://[redacted]@127.0.0.1:8000/v1 with 2 workers',
    );
    expect(redactText('https://token-only@host/x')).toBe('https://[redacted]@host/x');
  });

  it('redacts tokens by shape: bearer, basic, sk-, sk-ant-, AIza…, JWT', () => {
    expect(redactText('Bearer abcdefghij')).toBe('Bearer [redacted]');
    expect(redactText('basic dXNlcjpwYXNz')).toBe('basic [redacted]');
    expect(redactText('sent Authorization header Bearer abc.def-123 and it failed')).toBe(
      'sent Authorization header Bearer [redacted] and it failed',
    );
    expect(redactText('key sk-proj-AbCdEfGh12345678 rejected')).toBe('key [redacted] rejected');
    expect(redactText('sk-ant-api03-AbCdEfGh12345678_x')).toBe(REDACTED);
    expect(redactText('google AIzaSyA1234567890abcdefghijklmnopqrstu ok')).toBe('google [redacted] ok');
    expect(redactText(`jwt ${JWT} expired`)).toBe('jwt [redacted] expired');
  });

  it('redacts credential headers quoted in a message', () => {
    expect(redactText('request had x-api-key: plain-123 and more\nnext line')).toBe(
      'request had x-api-key: [redacted]\nnext line',
    );
    expect(redactText('Cookie: a=1; b=2')).toBe('Cookie: [redacted]');
    expect(redactText('{"authorization": "Token zzz", "model": "m"}')).toBe(
      '{"authorization": "[redacted]", "model": "m"}',
    );
  });

  it('leaves ordinary text alone: prompts, model names, URLs without secrets, figures', () => {
    const ordinary = [
      'Summarise the causes of tail latency in two sentences.',
      'Basic questions about Token counting, and a bearer of news.',
      'gpt-4o-mini',
      'mock-model',
      'claude-3-5-sonnet-20241022',
      'http://127.0.0.1:8000/v1',
      'GET /models?page=2&limit=10&max_tokens=5',
      'https://example.test/v1/chat/completions',
      'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1',
      'HTTP 500: overloaded',
      'task-runner-2024 risk-assessment',
      'p95 < 3000',
      'e = mc^2; x == y',
      'a user@example.com address',
      '',
    ];
    for (const text of ordinary) expect(redactText(text)).toBe(text);
  });

  it('scrubs remembered secret values verbatim, e.g. a key a server echoed back', () => {
    expect(redactText('HTTP 401: bad key envkey2718281828')).toBe('HTTP 401: bad key envkey2718281828');
    rememberSecrets(['envkey2718281828', 'short']);
    expect(redactText('HTTP 401: bad key envkey2718281828')).toBe('HTTP 401: bad key [redacted]');
    // Short values would match ordinary text: not remembered.
    expect(redactText('a short answer')).toBe('a short answer');
  });
});

describe('secretsOf', () => {
  it('finds the values the name and URL rules redact, and the token after a scheme or in a cookie', () => {
    const found = secretsOf({
      target: 'http://produser:PassWord1234@127.0.0.1:9/v1',
      headers: {
        'x-api-key': 'envkey2718281828',
        Cookie: 'session=cookievalue5555',
        Authorization: 'Bearer bearer777777',
      },
      scenarios: [{ steps: [{ http: { url: '/m?api_key=querykey31415' } }] }],
      model: 'not-a-secret-model',
    });
    for (const v of ['envkey2718281828', 'cookievalue5555', 'bearer777777', 'querykey31415', 'PassWord1234'])
      expect(found).toContain(v);
    expect(found).not.toContain('not-a-secret-model');
    expect(found).not.toContain('produser');
  });
});

describe('redactStrings', () => {
  it('redacts every string and key of output data and keeps numbers and shape', () => {
    const summary = {
      slowest: [{ stepName: 'GET /x?token=abcdef', e2eMs: 12 }],
      byStep: { 'GET /y?key=k1': 3 },
    };
    expect(redactStrings(summary)).toEqual({
      slowest: [{ stepName: 'GET /x?token=[redacted]', e2eMs: 12 }],
      byStep: { 'GET /y?key=[redacted]': 3 },
    });
  });
});

describe('record lines', () => {
  it('redact step names and messages as they are encoded', () => {
    rememberSecrets(['envkey2718281828']);
    const batch = new RecordBatch(8);
    batch.add({
      id: 1,
      scenario: 's',
      step: 0,
      stepName: 'GET http://u:pw-secret@127.0.0.1:1/x?api_key=querykey31415',
      kind: 'http',
      vu: 0,
      iteration: 0,
      outcome: 'error',
      error: 'http_4xx',
      message: 'HTTP 401: bad key envkey2718281828',
      scheduled: 0,
      sent: 0,
      end: 1,
      schedulingLagMs: 0,
    });
    const line = new LineEncoder().encode(batch.take() as NonNullable<ReturnType<RecordBatch['take']>>);
    const text = line.toString('utf8');
    expect(text).toContain('"stepName":"GET http://[redacted]@127.0.0.1:1/x?api_key=[redacted]"');
    expect(text).toContain('"message":"HTTP 401: bad key [redacted]"');
    expect(text).not.toMatch(/pw-secret|querykey31415|envkey2718281828/);
  });
});
