import { encode } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { cosine } from '../metrics/index.js';
import { createRng } from '../random/index.js';
import { parseMockProfile } from './mock-profile.js';
import { drawDegradation, isDegraded, mockEmbedding, referenceSet } from './mock-quality.js';
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

async function chat(server: MockServer, content: string) {
  const res = await request(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content }] }),
  });
  const json = (await res.body.json()) as {
    choices: { message: { content: string }; finish_reason: string }[];
    usage: {
      prompt_tokens: number;
      completion_tokens: number;
      prompt_tokens_details?: { cached_tokens: number };
    };
  };
  return { headers: res.headers, json, text: json.choices[0]?.message.content ?? '' };
}

const ANSWER = 'Goodput counts only the requests that met every objective.';

describe('mock embeddings', () => {
  it('answers the openai SDK with deterministic vectors and usage', async () => {
    const server = await start();
    const openai = client(server);
    const texts = ['the queue grows under load', 'under load the queue grows', 'bananas are yellow'];
    const a = await openai.embeddings.create({ model: 'embed', input: texts });
    const b = await openai.embeddings.create({ model: 'embed', input: texts });
    const vectors = a.data.map((d) => d.embedding);
    expect(vectors.map((v) => v.length)).toEqual([64, 64, 64]);
    expect(b.data.map((d) => d.embedding)).toEqual(vectors);
    // Same words in another order: the same bag of words; unrelated words: far apart.
    expect(cosine(vectors[0] as number[], vectors[1] as number[])).toBeCloseTo(1, 5);
    expect(cosine(vectors[0] as number[], vectors[2] as number[])).toBeLessThan(0.5);
    expect(a.usage.prompt_tokens).toBe(texts.reduce((n, t) => n + encode(t).length, 0));
    expect(a.model).toBe('embed');

    const floats = await openai.embeddings.create({
      model: 'embed',
      input: 'the queue grows',
      dimensions: 16,
      encoding_format: 'float',
    });
    expect(floats.data[0]?.embedding).toEqual(mockEmbedding('the queue grows', 16));
  });

  it('refuses input that is not text with a 400 naming the field', async () => {
    const server = await start();
    const res = await request(`${server.url}/v1/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'e', input: [1, 2, 3] }),
    });
    expect(res.statusCode).toBe(400);
    expect(((await res.body.json()) as { error: { param: string } }).error.param).toBe('input');
  });
});

describe('mock reference answers and cached tokens', () => {
  it('answers a known prompt with its reference, counted as the client counts it', async () => {
    const server = await start({
      profile: { ttft_ms: 1, itl_ms: 0, answers: [{ prompt: 'What is goodput?', answer: ANSWER }] },
    });
    const known = await chat(server, 'What is goodput?');
    expect(known.text).toBe(ANSWER);
    expect(known.json.usage.completion_tokens).toBe(encode(ANSWER).length);
    expect(known.json.choices[0]?.finish_reason).toBe('stop');
    // A system message before the question still finds it (the question is the last message).
    const stream = await client(server).chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'What is goodput?' },
      ],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(ANSWER);
    const other = await chat(server, 'Something else');
    expect(other.text).not.toBe(ANSWER);
  });

  it('reports prompt_tokens_details.cached_tokens when its prefix cache hits', async () => {
    const server = await start({
      profile: { ttft_ms: 1, itl_ms: 0, cache: { mode: 'prefix', block_tokens: 16 } },
    });
    const prompt = 'shared system prompt words '.repeat(20);
    const first = await chat(server, prompt);
    expect(first.json.usage.prompt_tokens_details).toBeUndefined();
    const second = await chat(server, prompt);
    const cached = second.json.usage.prompt_tokens_details?.cached_tokens ?? 0;
    expect(cached).toBeGreaterThan(0);
    expect(cached).toBeLessThanOrEqual(second.json.usage.prompt_tokens);
    expect(String(second.headers['x-mock-cached-tokens'])).toBe(String(cached));
  });
});

describe('mock degradation under load', () => {
  const answers = [{ prompt: 'q', answer: ANSWER }];

  it('leaves answers alone below the level and degrades them at it', async () => {
    const server = await start({
      profile: { ttft_ms: 300, itl_ms: 0, answers, degrade: { when: { in_flight: 1 }, truncate: 1 } },
    });
    // The first arrives to an idle server; the second while the first is in flight.
    const first = chat(server, 'q');
    await new Promise((r) => setTimeout(r, 50));
    const second = await chat(server, 'q');
    const calm = await first;
    expect(calm.text).toBe(ANSWER);
    expect(calm.headers['x-mock-degraded']).toBeUndefined();
    expect(second.headers['x-mock-degraded']).toBe('truncate');
    expect(second.json.choices[0]?.finish_reason).toBe('length');
    expect(ANSWER.startsWith(second.text)).toBe(true);
    expect(second.json.usage.completion_tokens).toBe(Math.ceil(encode(ANSWER).length * 0.5));
  });

  it('refuses, breaks JSON and shortens at the configured rates', async () => {
    const make = (degrade: Record<string, unknown>) =>
      start({
        profile: { ttft_ms: 0, itl_ms: 0, answers, degrade: { when: { queue_depth: 0 }, ...degrade } },
      });
    const refusal = await chat(await make({ refusal: 1 }), 'q');
    expect(refusal.text).toBe("I'm sorry, but I can't help with that request right now.");
    const broken = await chat(await make({ invalid_json: 1 }), 'q');
    expect(broken.text.startsWith('{"answer": "Goodput')).toBe(true);
    expect(() => JSON.parse(broken.text)).toThrow();
    const short = await chat(await make({ shorten: 1, shorten_to: 0.25 }), 'q');
    expect(short.json.choices[0]?.finish_reason).toBe('stop');
    expect(short.json.usage.completion_tokens).toBe(Math.ceil(encode(ANSWER).length * 0.25));
  });

  it('draws the same degradations from the same seed, at the configured rates', () => {
    const d = parseMockProfile({
      degrade: { when: { in_flight: 1 }, refusal: 0.1, invalid_json: 0.2, truncate: 0.3, shorten: 0.1 },
    }).degrade as NonNullable<ReturnType<typeof parseMockProfile>['degrade']>;
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 4000 }, () => drawDegradation(d, rng));
    };
    const a = draw(5);
    expect(draw(5)).toEqual(a);
    const share = (k: string | undefined) => a.filter((x) => x === k).length / a.length;
    expect(share('refusal')).toBeCloseTo(0.1, 1);
    expect(share('invalid_json')).toBeCloseTo(0.2, 1);
    expect(share('truncate')).toBeCloseTo(0.3, 1);
    expect(share('shorten')).toBeCloseTo(0.1, 1);
    expect(share(undefined)).toBeCloseTo(0.3, 1);
  });

  it('rejects rates that add up to more than 1', () => {
    expect(() =>
      parseMockProfile({ degrade: { when: { in_flight: 1 }, refusal: 0.6, truncate: 0.6 } }),
    ).toThrow(/at most 1/);
    expect(() => parseMockProfile({ degrade: { when: {}, refusal: 0.1 } })).toThrow(/in_flight/);
  });

  it('compares each level with the load a request arrives to', () => {
    const load = (inFlight: number, waiting?: number, kvUse?: number) => ({ inFlight, waiting, kvUse });
    expect(isDegraded({ in_flight: 4 }, load(3))).toBe(false);
    expect(isDegraded({ in_flight: 4 }, load(4))).toBe(true);
    // queue_depth reads the engine's waiting requests, else the answers in progress.
    expect(isDegraded({ queue_depth: 2 }, load(10, 1))).toBe(false);
    expect(isDegraded({ queue_depth: 2 }, load(10, 2))).toBe(true);
    expect(isDegraded({ queue_depth: 2 }, load(2))).toBe(true);
    // kv_use needs a KV budget: without one it never triggers.
    expect(isDegraded({ kv_use: 0.8 }, load(50))).toBe(false);
    expect(isDegraded({ kv_use: 0.8 }, load(1, 0, 0.79))).toBe(false);
    expect(isDegraded({ kv_use: 0.8 }, load(1, 0, 0.8))).toBe(true);
  });

  it('degrades a request that waits in the engine queue', async () => {
    const server = await start({
      profile: {
        answers,
        engine: { slots: 1, step_ms: 20 },
        degrade: { when: { queue_depth: 1 }, refusal: 1 },
      },
    });
    // The first arrives to an idle engine; with one slot the second waits (a ~13-token answer
    // takes ~260 ms of 20 ms steps), so the third arrives to a queue of at least one.
    const first = chat(server, 'q');
    const second = chat(server, 'q');
    await new Promise((r) => setTimeout(r, 30));
    const third = await chat(server, 'q');
    expect((await first).text).toBe(ANSWER);
    await second;
    expect(third.headers['x-mock-degraded']).toBe('refusal');
  });

  it('finds a reference by the whole prompt or its last line', () => {
    const find = referenceSet([{ prompt: 'Why?', answer: 'Because.' }]) as (p: string) => string | undefined;
    expect(find('Why?')).toBe('Because.');
    expect(find('system text\nWhy?')).toBe('Because.');
    expect(find('Why not?')).toBeUndefined();
  });
});
