import { performance } from 'node:perf_hooks';
import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type MockServer, type MockServerOptions, startMockServer } from './mock-server.js';

let servers: MockServer[] = [];

async function start(options: MockServerOptions = {}): Promise<MockServer> {
  const server = await startMockServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

function client(server: MockServer): OpenAI {
  return new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0 });
}

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function post(server: MockServer, path: string, body: string) {
  const res = await request(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return {
    status: res.statusCode,
    headers: res.headers,
    json: (await res.body.json()) as Record<string, unknown>,
  };
}

const fast = { ttft_ms: 1, itl_ms: 0 };
const question = 'Explain load testing in one paragraph.';
const messages = [{ role: 'user' as const, content: question }];

describe('mock server with the openai SDK', () => {
  it('streams a chat completion whose token count matches usage and the profile', async () => {
    const server = await start({ profile: { ...fast, output_tokens: 40 } });
    const stream = await client(server).chat.completions.create({
      model: 'my-model',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let roles = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      expect(chunk.model).toBe('my-model');
      expect(chunk.id).toMatch(/^chatcmpl-mock-\d+$/);
      const choice = chunk.choices[0];
      if (choice?.delta.role === 'assistant') roles++;
      text += choice?.delta.content ?? '';
      finish = choice?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(roles).toBe(1);
    expect(finish).toBe('stop');
    expect(encode(text)).toHaveLength(40);
    expect(usage?.completion_tokens).toBe(40);
    expect(usage?.prompt_tokens).toBe(encode(question).length);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 40);
    await waitFor(() => server.stats().completed === 1);
    expect(server.stats()).toMatchObject({ streaming: 1, nonStreaming: 0, inFlight: 0, aborted: 0 });
  });

  it('a reasoning profile streams reasoning_content deltas before the answer and counts them in usage', async () => {
    const server = await start({ profile: { ...fast, output_tokens: 12, reasoning_tokens: 5 } });
    const stream = await client(server).chat.completions.create({
      model: 'r1',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const kinds: string[] = [];
    let usage: unknown;
    for await (const c of stream) {
      const delta = c.choices[0]?.delta as
        | { content?: string | null; reasoning_content?: string }
        | undefined;
      if (delta?.reasoning_content) kinds.push('r');
      else if (delta?.content) kinds.push('c');
      if (c.usage) usage = c.usage;
    }
    expect(kinds.join('')).toBe(`${'r'.repeat(5)}${'c'.repeat(12)}`);
    expect(usage).toMatchObject({
      completion_tokens: 17,
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    const whole = await client(server).chat.completions.create({ model: 'r1', messages });
    const message = whole.choices[0]?.message as { content: string; reasoning_content?: string };
    expect(message.reasoning_content?.trim()).not.toBe('');
    expect(message.content.trim()).not.toBe('');
    expect(whole.usage).toMatchObject({
      completion_tokens: 17,
      completion_tokens_details: { reasoning_tokens: 5 },
    });
    // Completions have no reasoning phase.
    const text = await client(server).completions.create({ model: 'r1', prompt: question });
    expect(text.usage?.completion_tokens).toBe(12);
  });

  it('answers non-streaming chat and completions with usage', async () => {
    const server = await start({ profile: { ...fast, output_tokens: 25 } });
    const openai = client(server);
    const chat = await openai.chat.completions.create({ model: 'mock-model', messages });
    expect(chat.object).toBe('chat.completion');
    expect(chat.choices[0]?.message.role).toBe('assistant');
    expect(chat.choices[0]?.finish_reason).toBe('stop');
    expect(encode(chat.choices[0]?.message.content ?? '')).toHaveLength(25);
    expect(chat.usage?.completion_tokens).toBe(25);

    const completion = await openai.completions.create({ model: 'mock-model', prompt: 'Once upon a time' });
    expect(completion.id).toMatch(/^cmpl-mock-\d+$/);
    expect(completion.object).toBe('text_completion');
    expect(encode(completion.choices[0]?.text ?? '')).toHaveLength(25);
    expect(completion.usage).toEqual({ prompt_tokens: 4, completion_tokens: 25, total_tokens: 29 });
  });

  it('streams completions without a role chunk', async () => {
    const server = await start({ profile: { ...fast, output_tokens: 12 } });
    const stream = await client(server).completions.create({
      model: 'mock-model',
      prompt: 'Once upon a time',
      stream: true,
      stream_options: { include_usage: true },
    });
    const texts: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.text) texts.push(chunk.choices[0].text);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(texts).toHaveLength(12);
    expect(usage?.completion_tokens).toBe(12);
  });

  it('caps output at max_tokens and reports finish_reason length', async () => {
    const server = await start({ profile: { ...fast, output_tokens: 50 } });
    const openai = client(server);
    const chat = await openai.chat.completions.create({ model: 'mock-model', messages, max_tokens: 7 });
    expect(chat.choices[0]?.finish_reason).toBe('length');
    expect(chat.usage?.completion_tokens).toBe(7);
    expect(encode(chat.choices[0]?.message.content ?? '')).toHaveLength(7);

    const stream = await openai.chat.completions.create({
      model: 'mock-model',
      messages,
      max_completion_tokens: 3,
      stream: true,
    });
    let finish: string | null = null;
    let text = '';
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('length');
    expect(encode(text)).toHaveLength(3);
  });

  it('gives the same answer to the same prompt and different answers to different prompts', async () => {
    const server = await start({ profile: fast });
    const openai = client(server);
    const ask = async (content: string) =>
      (await openai.chat.completions.create({ model: 'mock-model', messages: [{ role: 'user', content }] }))
        .choices[0]?.message.content;
    const first = await ask('What is TTFT?');
    expect(await ask('What is ITL?')).not.toBe(first);
    expect(await ask('What is TTFT?')).toBe(first);
    const other = await start({ profile: { ...fast, seed: 42 } });
    const again = await client(other).chat.completions.create({
      model: 'mock-model',
      messages: [{ role: 'user', content: 'What is TTFT?' }],
    });
    expect(again.choices[0]?.message.content).toBe(first);
  });

  it('warms up on a throwaway server, leaving its counters and seeded answers as a cold one has them', async () => {
    const cold = await start({ profile: { ...fast, seed: 7 } });
    const warm = await start({ profile: { ...fast, seed: 7 }, warmUp: true });
    expect(warm.stats()).toEqual(cold.stats());
    expect(warm.stats().requests).toBe(0);
    const ask = async (server: MockServer) =>
      (await client(server).chat.completions.create({ model: 'mock-model', messages, stream: false }))
        .choices[0]?.message.content;
    const answer = await ask(cold);
    expect(answer).toBeTruthy();
    expect(await ask(warm)).toBe(answer);
    expect(warm.stats().requests).toBe(1);
  });

  it('rejects an invalid profile with a ConfigError naming the field', async () => {
    await expect(startMockServer({ profile: { itl_ms: -1 } })).rejects.toThrow(/itl_ms/);
  });

  it('lists the profile models', async () => {
    const server = await start({ profile: { models: ['alpha', 'beta'] } });
    const page = await client(server).models.list();
    expect(page.data.map((m) => m.id)).toEqual(['alpha', 'beta']);
  });
});

/** Reads a chat stream raw and timestamps every content-bearing event from the moment of sending. */
async function timedStream(server: MockServer, body: object, abortAfter?: number) {
  const controller = new AbortController();
  const sent = performance.now();
  const res = await request(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  const times: number[] = [];
  let buffer = '';
  try {
    for await (const chunk of res.body) {
      const now = performance.now();
      buffer += chunk.toString();
      let end = buffer.indexOf('\n\n');
      while (end !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        if (event === 'data: [DONE]') continue;
        const content = JSON.parse(event.slice(6)).choices[0]?.delta?.content;
        if (content) times.push(now - sent);
      }
      if (abortAfter !== undefined && times.length >= abortAfter) {
        controller.abort();
        break;
      }
    }
  } catch (err) {
    if (abortAfter === undefined) throw err;
  }
  return { headers: res.headers, times };
}

describe('mock server timing and lifecycle', () => {
  it('sends the first token after ttft and the next ones itl apart', async () => {
    const server = await start({ profile: { ttft_ms: 100, itl_ms: 10, output_tokens: 20 } });
    const { headers, times } = await timedStream(server, { model: 'm', messages, stream: true });
    expect(headers['content-type']).toBe('text/event-stream');
    expect(times).toHaveLength(20);
    expect(times[0]).toBeGreaterThanOrEqual(100);
    expect(times[0]).toBeLessThan(130);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    gaps.sort((a, b) => a - b);
    const median = gaps[9] as number;
    expect(Math.abs(median - 10)).toBeLessThanOrEqual(1.5);
  });

  it('stops generating when the client disconnects mid-stream', async () => {
    const server = await start({ profile: { ttft_ms: 5, itl_ms: 10, output_tokens: 500 } });
    const { times } = await timedStream(server, { model: 'm', messages, stream: true }, 3);
    expect(times.length).toBeGreaterThanOrEqual(3);
    await waitFor(() => server.stats().aborted === 1);
    expect(server.stats()).toMatchObject({ inFlight: 0, completed: 0, streaming: 1 });
  });

  it('closes promptly with a stream in progress', async () => {
    const server = await startMockServer({ profile: { ttft_ms: 1, itl_ms: 50, output_tokens: 1000 } });
    const reading = timedStream(server, { model: 'm', messages, stream: true }).catch((e: unknown) => e);
    await waitFor(() => server.stats().inFlight === 1);
    // The stream would last 50 s: closing must not wait for it (the bound is on a hang, not on speed).
    const begin = performance.now();
    await server.close();
    expect(performance.now() - begin).toBeLessThan(20_000);
    expect(await reading).toBeInstanceOf(Error);
    expect(server.stats().inFlight).toBe(0);
  });

  it('echoes or assigns x-request-id', async () => {
    const server = await start({ profile: fast });
    const own = await request(`${server.url}/v1/models`, { headers: { 'x-request-id': 'abc-1' } });
    await own.body.dump();
    expect(own.headers['x-request-id']).toBe('abc-1');
    const assigned = await post(server, '/v1/completions', '{"prompt":"hi"}');
    expect(assigned.headers['x-request-id']).toMatch(/^mock-\d+$/);
  });
});

describe('mock server errors', () => {
  it('answers bad JSON and missing fields with 400 in OpenAI error shape', async () => {
    const server = await start({ profile: fast });
    const badJson = await post(server, '/v1/chat/completions', '{"messages": [');
    expect(badJson.status).toBe(400);
    expect(badJson.json).toEqual({
      error: { message: expect.any(String), type: 'invalid_request_error', param: null, code: null },
    });
    const noMessages = await post(server, '/v1/chat/completions', '{"model":"m"}');
    expect(noMessages.status).toBe(400);
    expect(noMessages.json).toMatchObject({ error: { type: 'invalid_request_error', param: 'messages' } });
    const noPrompt = await post(server, '/v1/completions', '{"model":"m"}');
    expect(noPrompt.json).toMatchObject({ error: { param: 'prompt' } });
    const badMax = await post(server, '/v1/completions', '{"prompt":"x","max_tokens":0}');
    expect(badMax.json).toMatchObject({ error: { param: 'max_tokens' } });
    expect(server.stats()).toMatchObject({ errors: 4, inFlight: 0 });
  });

  it('answers an unknown route with 404 in OpenAI error shape', async () => {
    const server = await start();
    const res = await post(server, '/v1/images/generations', '{}');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({
      error: {
        message: 'Invalid URL (POST /v1/images/generations)',
        type: 'invalid_request_error',
        param: null,
        code: null,
      },
    });
    const wrongMethod = await request(`${server.url}/v1/chat/completions`);
    expect(wrongMethod.statusCode).toBe(404);
    await wrongMethod.body.dump();
  });

  it('refuses a body over 10 MiB with 413', async () => {
    const server = await start();
    const res = await post(
      server,
      '/v1/completions',
      JSON.stringify({ prompt: 'x'.repeat(10 * 1024 * 1024) }),
    );
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ error: { type: 'invalid_request_error' } });
  });
});
