import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { defineTest, parseTest } from '../config/index.js';
import type { RequestRecord } from '../core/index.js';
import { compileChecks, jsonPathOf, parseAnswerJson } from './checks.js';

/** Crafted answers, chosen by the user message: text, finish reason, and a delay before the first token. */
const ANSWERS: Record<string, { text: string; finish: string; delayMs?: number }> = {
  paris: { text: 'The capital of France is Paris.', finish: 'stop' },
  cut: { text: 'The capital of', finish: 'length' },
  json: { text: '{"city": "Paris", "population": 2102650, "tags": ["capital"]}', finish: 'stop' },
  fenced: { text: '```json\n{"city": "Paris"}\n```', finish: 'stop' },
  badjson: { text: '{"city": "Paris", ', finish: 'stop' },
  wrongtype: { text: '{"city": "Paris", "population": "many", "tags": [1]}', finish: 'stop' },
  slow: { text: 'late answer', finish: 'stop', delayMs: 150 },
};

let server: Server;
let target = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      const parsed = JSON.parse(body) as { stream?: boolean; messages: { content: string }[] };
      const answer = ANSWERS[parsed.messages.at(-1)?.content ?? ''] ?? ANSWERS.paris;
      if (answer === undefined) throw new Error('no default answer');
      const words = answer.text.split(/(?<= )/);
      const usage = { prompt_tokens: 5, completion_tokens: words.length, total_tokens: 5 + words.length };
      setTimeout(() => {
        if (!parsed.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: 'x',
              choices: [
                {
                  index: 0,
                  message: { role: 'assistant', content: answer.text },
                  finish_reason: answer.finish,
                },
              ],
              usage,
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const w of words) {
          res.write(
            `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta: { content: w }, finish_reason: null }] })}\n\n`,
          );
        }
        res.write(
          `data: ${JSON.stringify({ id: 'x', choices: [{ index: 0, delta: {}, finish_reason: answer.finish }], usage })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** One chat request with `checks` on the answer named by `prompt`; its record. */
async function checked(
  prompt: string,
  checks: Record<string, unknown>,
  stream = true,
): Promise<RequestRecord> {
  const workload = workloadFor(
    {
      name: 'checks',
      target,
      scenarios: [
        {
          name: 's',
          steps: [{ chat: { model: 'm', stream, messages: [{ role: 'user', content: prompt }], checks } }],
        },
      ],
    } as Parameters<typeof workloadFor>[0],
    target,
  );
  const records = await runWorkload(workload, { iterations: 1 });
  expect(records).toHaveLength(1);
  return records[0] as RequestRecord;
}

function expectPass(r: RequestRecord, name: string): void {
  expect(r.checks?.[name]).toBe(true);
  expect(r.outcome).toBe('ok');
  expect(r.error).toBeUndefined();
}

function expectFail(r: RequestRecord, name: string, reason: RegExp): void {
  expect(r.checks?.[name]).toBe(false);
  expect(r.outcome).toBe('error');
  expect(r.error).toBe('check_failed');
  expect(r.message).toMatch(new RegExp(`${name}: ${reason.source}`));
}

describe('checks on answers, against a local server with crafted answers', () => {
  it('contains / not_contains', async () => {
    expectPass(await checked('paris', { contains: ['capital', 'Paris'] }), 'contains');
    expectFail(await checked('cut', { contains: ['capital', 'Paris'] }), 'contains', /"Paris" not found/);
    expectPass(await checked('paris', { not_contains: 'London' }), 'not_contains');
    expectFail(
      await checked('paris', { not_contains: ['London', 'France'] }),
      'not_contains',
      /"France" found/,
    );
  });

  it('regex', async () => {
    expectPass(await checked('paris', { regex: 'Paris\\.$' }), 'regex');
    expectFail(
      await checked('cut', { regex: ['^The', 'Paris\\.$'] }),
      'regex',
      /no match for \/Paris\\\.\$\//,
    );
  });

  it('json, streamed and not, a Markdown fence allowed', async () => {
    expectPass(await checked('json', { json: true }), 'json');
    expectPass(await checked('json', { json: true }, false), 'json');
    expectPass(await checked('fenced', { json: true }), 'json');
    expectFail(await checked('badjson', { json: true }), 'json', /not JSON/);
    expectFail(await checked('paris', { json: true }, false), 'json', /not JSON/);
  });

  it('json_schema: a failure names the JSON path', async () => {
    const schema = {
      type: 'object',
      required: ['city', 'population'],
      properties: {
        city: { type: 'string' },
        population: { type: 'integer' },
        tags: { type: 'array', items: { type: 'string' } },
      },
    };
    expectPass(await checked('json', { json_schema: schema }), 'json_schema');
    const wrong = await checked('wrongtype', { json_schema: schema });
    expectFail(wrong, 'json_schema', /\$\.population must be integer/);
    expect(wrong.message).toContain('$.tags[0] must be string');
    expectFail(
      await checked('fenced', { json_schema: schema }),
      'json_schema',
      /\$ must have required property 'population'/,
    );
    expectFail(await checked('badjson', { json_schema: schema }), 'json_schema', /not JSON/);
  });

  it('finish_reason: a length finish is truncation', async () => {
    expectPass(await checked('paris', { finish_reason: 'stop' }), 'finish_reason');
    expectFail(
      await checked('cut', { finish_reason: 'stop' }),
      'finish_reason',
      /finish_reason "length" \(truncated\)/,
    );
    expectPass(await checked('cut', { finish_reason: ['stop', 'length'] }), 'finish_reason');
  });

  it('min_output_tokens / max_output_tokens (the server usage count)', async () => {
    // "The capital of France is Paris." is 6 words, one chunk and one usage token each.
    expectPass(await checked('paris', { min_output_tokens: 6, max_output_tokens: 6 }), 'min_output_tokens');
    expectFail(await checked('cut', { min_output_tokens: 4 }), 'min_output_tokens', /output tokens 3 < 4/);
    expectFail(await checked('paris', { max_output_tokens: 5 }), 'max_output_tokens', /output tokens 6 > 5/);
  });

  it('max_ttft_ms / max_e2e_ms as per-request SLOs', async () => {
    // The slow answer waits 150 ms before its first byte; the others answer at once.
    expectPass(await checked('paris', { max_ttft_ms: 100, max_e2e_ms: 100 }), 'max_ttft_ms');
    const slow = await checked('slow', { max_ttft_ms: 100, max_e2e_ms: 100 });
    expectFail(slow, 'max_ttft_ms', /ttft_ms \d+(\.\d+)? > 100/);
    expect(slow.checks?.max_e2e_ms).toBe(false);
    expect(slow.ttftMs).toBeGreaterThanOrEqual(140);
  });

  it('a TypeScript function: true passes, false or a reason fails, a throw fails with its message', async () => {
    const custom = {
      short: (a: { text: string }) => a.text.length < 40 || `too long (${a.text.length})`,
      french: (a: { text: string }) => a.text.includes('France'),
      broken: () => {
        throw new Error('boom');
      },
    };
    const r = await checked('paris', { custom });
    expect(r.checks).toEqual({ short: true, french: true, broken: false });
    expect(r.message).toMatch(/broken: threw: boom/);
    const j = await checked('json', { custom: { short: custom.short, french: custom.french } });
    expect(j.checks).toEqual({ short: false, french: false });
    expect(j.message).toMatch(/short: too long \(\d+\); french: returned false/);
  });

  it("a session's chat checks every turn; a failed turn ends the conversation as an error would", async () => {
    const workload = workloadFor(
      {
        name: 'checks',
        target,
        scenarios: [
          {
            name: 's',
            session: {
              turns: 3,
              user_messages: ['paris', 'cut', 'paris'],
              chat: { model: 'm', checks: { contains: 'Paris', finish_reason: 'stop' } },
            },
          },
        ],
      } as Parameters<typeof workloadFor>[0],
      target,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(records.map((r) => [r.turn, r.outcome, r.checks])).toEqual([
      [1, 'ok', { contains: true, finish_reason: true }],
      [2, 'error', { contains: false, finish_reason: false }],
    ]);
    expect(records[1]?.message).toBe(
      'check failed: contains: "Paris" not found; finish_reason: finish_reason "length" (truncated), expected "stop"',
    );
  });

  it('runs no check on an answer that never arrived', async () => {
    const workload = workloadFor(
      {
        name: 'checks',
        target,
        scenarios: [
          {
            name: 's',
            steps: [
              { chat: { model: 'm', messages: [{ role: 'user', content: 'x' }], checks: { json: true } } },
            ],
          },
        ],
      } as Parameters<typeof workloadFor>[0],
      'http://127.0.0.1:1/v1',
    );
    const [r] = await runWorkload(workload, { iterations: 1 });
    expect(r?.error).toBe('connection');
    expect(r?.checks).toBeUndefined();
  });
});

describe('checks, pure parts', () => {
  it('writes ajv instance paths as JSON paths', () => {
    expect(jsonPathOf('')).toBe('$');
    expect(jsonPathOf('/items/0/name')).toBe('$.items[0].name');
    expect(jsonPathOf('/a~1b/c d')).toBe('$["a/b"]["c d"]');
  });

  it('parses a fenced or bare JSON answer, and says why another is not', () => {
    expect(parseAnswerJson(' {"a":1}\n')).toEqual({ ok: true, value: { a: 1 } });
    expect(parseAnswerJson('```\n[1,2]\n```')).toEqual({ ok: true, value: [1, 2] });
    const bad = parseAnswerJson('{"a":');
    expect(bad.ok).toBe(false);
  });

  it('compiles nothing for a step without checks', () => {
    expect(compileChecks(undefined)).toBeUndefined();
    expect(compileChecks({})).toBeUndefined();
  });
});

describe('checks in a TypeScript test', () => {
  it('types the answer a function gets (defineTest), and keeps the function through validation', () => {
    const short = (a: { text: string }) => a.text.length < 10 || `too long (${a.text.length})`;
    const test = defineTest({
      name: 'ts',
      target: 'mock',
      scenarios: [
        {
          name: 's',
          steps: [
            {
              chat: {
                model: 'm',
                messages: [{ role: 'user', content: 'x' }],
                // `a` is typed from the schema: a CheckAnswer.
                checks: {
                  custom: { short, finished: (a) => a.finishReason === 'stop' && (a.outputTokens ?? 0) > 0 },
                },
              },
            },
          ],
        },
      ],
      load: { executor: 'constant-vus', vus: 1, duration: '1s' },
    });
    const step = parseTest(test, 'ts.ts').scenarios[0]?.steps?.[0] as {
      chat: { checks: { custom: Record<string, unknown> } };
    };
    expect(step.chat.checks.custom.short).toBe(short);
    const compiled = compileChecks(step.chat.checks as Parameters<typeof compileChecks>[0]);
    const answer = {
      text: 'a long answer',
      finishReason: 'stop',
      status: 200,
      outputTokens: 3,
      ttftMs: 1,
      e2eMs: 2,
      tpotMs: 0.5,
    };
    expect(compiled?.run(answer)).toEqual({
      results: { short: false, finished: true },
      failure: 'short: too long (13)',
    });
  });
});

describe('bad checks config names the field path (exit 2 material)', () => {
  const parse = (checks: unknown) => () =>
    parseTest(
      {
        name: 'bad',
        target: 'mock',
        scenarios: [
          {
            name: 's',
            steps: [{ chat: { model: 'm', messages: [{ role: 'user', content: 'x' }], checks } }],
          },
        ],
        load: { executor: 'constant-vus', vus: 1, duration: '1s' },
      },
      'bad.yaml',
    );

  it('an invalid regex', () => {
    expect(parse({ regex: ['ok', '(unclosed'] })).toThrow(
      /scenarios\[0\]\.steps\[0\]\.chat\.checks\.regex\[1\].*invalid regular expression "\(unclosed"/s,
    );
  });

  it('an invalid JSON Schema', () => {
    expect(parse({ json_schema: { type: 'nonsense' } })).toThrow(
      /scenarios\[0\]\.steps\[0\]\.chat\.checks\.json_schema.*invalid JSON Schema/s,
    );
  });

  it('an unknown check, and a function in YAML', () => {
    expect(parse({ contain: 'x' })).toThrow(/checks.*contain/s);
    expect(parse({ custom: { f: 'not a function' } })).toThrow(/checks\.custom\.f.*expected a function/s);
  });
});
