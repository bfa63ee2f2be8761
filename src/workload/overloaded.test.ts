/**
 * Anthropic's "overloaded" (HTTP 529) against the mock: an error kind of its
 * own (not `http_5xx`), retried when the retry policy names it, after the
 * `Retry-After` the server sent; the mock's error answers are in each API's
 * own format, as the official SDKs read them.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFixtureServer } from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from '../metrics/index.js';
import { type MockServer, startMockServer } from '../sim/index.js';
import { startFaultProxy } from '../sim/proxy/index.js';

let mock: MockServer | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

/** Half the requests answered 529 with `retry-after: 0.25` (a seeded share). */
const overloadedProfile = {
  ttft_ms: 2,
  itl_ms: 1,
  output_tokens: 4,
  faults: [{ at: 0, for: '1h', kind: 'error_rate' as const, rate: 0.5, status: 529, retry_after: 0.25 }],
};

const messages = {
  messages: {
    model: 'claude-mock',
    max_tokens: 16,
    messages: [{ role: 'user' as const, content: 'Hello' }],
  },
};

function run(retryOn: string[], iterations: number): Promise<RequestRecord[]> {
  const workload = workloadFor(
    {
      seed: 3,
      scenarios: [
        {
          name: 'anthropic',
          steps: [messages],
          retry: {
            max_attempts: 6,
            on: retryOn as never,
            // A backoff far longer than the Retry-After: a wait near 250 ms can only be the header's.
            backoff: { initial: '5s', jitter: 'none' },
          },
        },
      ],
    },
    `${mock?.url}/v1`,
  );
  return runWorkload(workload, { iterations, vus: 4 });
}

describe('Anthropic overloaded (529)', () => {
  it('is its own error kind, retried when the policy names it, after the Retry-After', async () => {
    mock = await startMockServer({ profile: overloadedProfile });
    const records = await run(['overloaded'], 20);
    const failed = records.filter((r) => r.outcome === 'error');
    expect(failed.length).toBeGreaterThan(3);
    for (const r of failed) {
      expect(r.error).toBe('overloaded');
      expect(r.status).toBe(529);
      expect(r.message).toContain('"type":"overloaded_error"');
    }
    // Every logical request got through: each failed attempt was followed by another.
    const last = records.filter((r) => r.attempt === undefined || r.logicalSent !== undefined);
    expect(last).toHaveLength(20);
    expect(last.every((r) => r.outcome === 'ok')).toBe(true);
    // The next attempt of the same VU and iteration went out after the server's 250 ms, not the 5 s backoff.
    let waits = 0;
    for (const r of failed) {
      const next = records.find(
        (n) => n.vu === r.vu && n.iteration === r.iteration && n.attempt === (r.attempt ?? 1) + 1,
      ) as RequestRecord;
      const wait = next.sent - r.end;
      expect(wait).toBeGreaterThanOrEqual(245);
      expect(wait).toBeLessThan(2_000);
      waits++;
    }
    expect(waits).toBe(failed.length);
    // summary.json counts them under their own kind; the logical requests all succeeded.
    const agg = new RunAggregator();
    for (const r of records) agg.add(r);
    const summary = agg.snapshot({ name: 't', startedAt: '', durationS: 1 });
    expect(summary.counts.byError).toEqual({ overloaded: failed.length });
    expect(summary.logical.errors).toBe(0);
  });

  it('is not retried by a policy naming only rate_limited, and http_5xx covers it', async () => {
    mock = await startMockServer({ profile: overloadedProfile });
    const notRetried = await run(['rate_limited'], 12);
    expect(notRetried.some((r) => r.error === 'overloaded')).toBe(true);
    expect(notRetried.every((r) => (r.attempt ?? 1) === 1)).toBe(true);
    const retried = await run(['http_5xx'], 12);
    expect(retried.some((r) => (r.attempt ?? 1) > 1)).toBe(true);
  });
});

describe('an overloaded_error event mid-stream', () => {
  it('is overloaded (status 200), and retried as a 529 is', async () => {
    const sse = (event: string, data: Record<string, unknown>) =>
      `event: ${event}\ndata: ${JSON.stringify({ type: event, ...data })}\n\n`;
    let answered = 0;
    const server = await startFixtureServer((req, res) => {
      req.resume();
      req.on('end', () => {
        answered++;
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(sse('message_start', { message: { usage: { input_tokens: 3, output_tokens: 1 } } }));
        res.write(sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hel' } }));
        // Every other answer breaks off as Anthropic does when it runs out of capacity mid-answer.
        if (answered % 2 === 1) {
          res.end(sse('error', { error: { type: 'overloaded_error', message: 'Overloaded' } }));
          return;
        }
        res.write(sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'lo' } }));
        res.write(sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }));
        res.end(sse('message_stop', {}));
      });
    });
    try {
      const workload = workloadFor(
        {
          scenarios: [
            {
              name: 'anthropic',
              steps: [messages],
              retry: { max_attempts: 3, on: ['overloaded'], backoff: { initial: '10ms', jitter: 'none' } },
            },
          ],
        },
        `${server.url}/v1`,
      );
      const records = await runWorkload(workload, { iterations: 4 });
      expect(records).toHaveLength(8);
      for (const r of records.filter((x) => x.attempt === 1)) {
        expect(r).toMatchObject({ outcome: 'error', error: 'overloaded', status: 200 });
        expect(r.message).toBe('error event in stream: overloaded_error: Overloaded');
      }
      for (const r of records.filter((x) => x.attempt === 2)) {
        expect(r).toMatchObject({ outcome: 'ok', outputTokens: 2 });
      }
    } finally {
      await server.close();
    }
  });
});

describe("the mock's error_event fault", () => {
  it('ends a share of streams with the API error event: overloaded on Anthropic, stream_error on the others', async () => {
    mock = await startMockServer({
      profile: {
        ttft_ms: 1,
        itl_ms: 1,
        output_tokens: 6,
        faults: [{ at: 0, for: '1h', kind: 'error_event', rate: 0.5, after_tokens: 2 }],
      },
    });
    const steps = [
      messages,
      { response: { model: 'm', input: 'Hello' } },
      { chat: { model: 'm', messages: [{ role: 'user' as const, content: 'Hello' }] } },
    ];
    const workload = workloadFor(
      { seed: 9, scenarios: [{ name: 's', steps: steps as never }] },
      `${mock.url}/v1`,
    );
    // One user: the mock's seeded draws meet the three kinds in a fixed order (with three users the
    // arrival order varied, and a kind could miss every hit).
    const records = await runWorkload(workload, { iterations: 12, vus: 1 });
    const failed = records.filter((r) => r.outcome === 'error');
    expect(failed.length).toBeGreaterThan(6);
    expect(failed.length).toBeLessThan(30);
    for (const r of failed) {
      expect(r.status).toBe(200);
      // The two tokens before the event were received and timed.
      expect(r.ttftMs).toBeGreaterThan(0);
      expect(r.error).toBe(r.kind === 'messages' ? 'overloaded' : 'stream_error');
    }
    expect(new Set(failed.map((r) => r.kind))).toEqual(new Set(['messages', 'response', 'chat']));
    const ok = records.filter((r) => r.outcome === 'ok');
    for (const r of ok) expect(r.outputTokens).toBe(6);
  });

  it('reaches @anthropic-ai/sdk as an overloaded_error in the stream', async () => {
    mock = await startMockServer({
      profile: {
        ttft_ms: 1,
        itl_ms: 1,
        faults: [{ at: 0, for: '1h', kind: 'error_event', after_tokens: 1 }],
      },
    });
    const client = new Anthropic({ baseURL: mock.url, apiKey: 'sk-ant-test', maxRetries: 0 });
    const stream = client.messages.stream({
      model: 'm',
      max_tokens: 8,
      messages: [{ role: 'user', content: 'hi' }],
    });
    const e = await stream.finalMessage().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Anthropic.APIError);
    expect(String((e as Error).message)).toContain('overloaded_error');
  });
});

describe("the mock's error answers in each API's format", () => {
  it('Anthropic: 529 overloaded_error and 400 invalid_request_error, as @anthropic-ai/sdk reads them', async () => {
    mock = await startMockServer({
      profile: { faults: [{ at: 0, for: '1h', kind: 'error_rate', status: 529, retry_after: 1 }] },
    });
    const client = new Anthropic({ baseURL: mock.url, apiKey: 'sk-ant-test', maxRetries: 0 });
    const overloaded = await client.messages
      .create({ model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(overloaded).toBeInstanceOf(Anthropic.APIError);
    const e = overloaded as InstanceType<typeof Anthropic.APIError>;
    expect(e.status).toBe(529);
    expect(e.headers?.get('retry-after')).toBe('1');
    expect(e.error).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const bad = await client.messages
      .create({ model: 'm', max_tokens: 8, messages: [] })
      .catch((x: unknown) => x);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect((bad as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error' },
    });
  });

  it("the fault proxy's injected 529 on /v1/messages is Anthropic's, on chat OpenAI's", async () => {
    mock = await startMockServer({ profile: { ttft_ms: 1, itl_ms: 1, output_tokens: 2 } });
    const proxy = await startFaultProxy({
      upstream: mock.url,
      faults: { faults: [{ kind: 'error', status: 529 }] },
    });
    try {
      const client = new Anthropic({ baseURL: proxy.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      const e = await client.messages
        .create({ model: 'm', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] })
        .catch((x: unknown) => x);
      expect(e).toBeInstanceOf(Anthropic.APIError);
      expect((e as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        type: 'error',
        error: { type: 'overloaded_error' },
      });
      const chat = await fetch(`${proxy.url}/v1/chat/completions`, { method: 'POST', body: '{}' });
      expect(chat.status).toBe(529);
      expect(await chat.json()).toMatchObject({ error: { type: 'proxy_fault' } });
    } finally {
      await proxy.close();
    }
  });

  it('OpenAI Responses: a 429 in the OpenAI format, as the openai SDK reads it', async () => {
    mock = await startMockServer({
      profile: { rate_limits: { requests: 1 } },
    });
    const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });
    await client.responses.create({ model: 'm', input: 'hi' });
    const limited = await client.responses.create({ model: 'm', input: 'hi' }).catch((x: unknown) => x);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    const e = limited as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.code).toBe('rate_limit_exceeded');
    expect(e.type).toBe('requests');
  });
});
