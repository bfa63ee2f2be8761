/**
 * The official SDKs read the mock's Anthropic Messages and OpenAI Responses
 * endpoints, streamed and not: the text is the mock's answer and the usage
 * its token counts.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MockServer, startMockServer } from './mock-server.js';

let mock: MockServer;

beforeAll(async () => {
  mock = await startMockServer({ profile: { ttft_ms: 5, itl_ms: 1, output_tokens: 12 } });
});

afterAll(async () => {
  await mock.close();
});

/** The mock's whole answer to a prompt, read through its chat endpoint. */
async function chatAnswer(prompt: string): Promise<{ text: string; prompt: number; output: number }> {
  const client = new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-test' });
  const r = await client.chat.completions.create({
    model: 'm',
    messages: [{ role: 'user', content: prompt }],
  });
  return {
    text: r.choices[0]?.message.content ?? '',
    prompt: r.usage?.prompt_tokens ?? -1,
    output: r.usage?.completion_tokens ?? -1,
  };
}

describe('the mock speaks Anthropic Messages to @anthropic-ai/sdk', () => {
  const client = () => new Anthropic({ baseURL: mock.url, apiKey: 'sk-ant-test', maxRetries: 0 });

  it('answers a message with text and usage', async () => {
    const want = await chatAnswer('Tell me about tides.');
    const msg = await client().messages.create({
      model: 'claude-mock',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Tell me about tides.' }],
    });
    expect(msg.content).toEqual([{ type: 'text', text: want.text }]);
    expect(msg.usage.input_tokens).toBe(want.prompt);
    expect(msg.usage.output_tokens).toBe(12);
    expect(msg.stop_reason).toBe('end_turn');
  });

  it('streams the same text, token by token, and its usage', async () => {
    const want = await chatAnswer('Tell me about tides.');
    const stream = client().messages.stream({
      model: 'claude-mock',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Tell me about tides.' }],
    });
    let deltas = 0;
    stream.on('text', () => deltas++);
    const msg = await stream.finalMessage();
    expect(deltas).toBe(12);
    expect(msg.content).toHaveLength(1);
    expect(msg.content[0]?.type === 'text' && msg.content[0].text).toBe(want.text);
    expect(msg.usage.input_tokens).toBe(want.prompt);
    expect(msg.usage.output_tokens).toBe(12);
    expect(msg.stop_reason).toBe('end_turn');
  });

  it('stops at max_tokens as Anthropic says it', async () => {
    const msg = await client().messages.create({
      model: 'claude-mock',
      max_tokens: 3,
      messages: [{ role: 'user', content: 'Tell me about tides.' }],
    });
    expect(msg.usage.output_tokens).toBe(3);
    expect(msg.stop_reason).toBe('max_tokens');
  });
});

describe('the mock speaks OpenAI Responses to the openai SDK', () => {
  const client = () => new OpenAI({ baseURL: `${mock.url}/v1`, apiKey: 'sk-test', maxRetries: 0 });

  it('answers a response with output_text and usage', async () => {
    const want = await chatAnswer('Tell me about tides.');
    const r = await client().responses.create({ model: 'gpt-mock', input: 'Tell me about tides.' });
    expect(r.output_text).toBe(want.text);
    expect(r.status).toBe('completed');
    expect(r.usage?.input_tokens).toBe(want.prompt);
    expect(r.usage?.output_tokens).toBe(12);
  });

  it('streams the same text as output_text deltas, and the usage in response.completed', async () => {
    const want = await chatAnswer('Tell me about tides.');
    const stream = client().responses.stream({
      model: 'gpt-mock',
      input: [{ role: 'user', content: 'Tell me about tides.' }],
    });
    let text = '';
    let deltas = 0;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') {
        text += event.delta;
        deltas++;
      }
    }
    const final = await stream.finalResponse();
    expect(deltas).toBe(12);
    expect(text).toBe(want.text);
    const item = final.output[0];
    expect(item?.type === 'message' && item.content[0]?.type === 'output_text' && item.content[0].text).toBe(
      want.text,
    );
    expect(final.status).toBe('completed');
    expect(final.usage?.input_tokens).toBe(want.prompt);
    expect(final.usage?.output_tokens).toBe(12);
  });
});

describe('the mock as a thinking model on Anthropic Messages', () => {
  it('streams a thinking block, then the text block, with the reasoning counted in output tokens', async () => {
    const thinking = await startMockServer({
      profile: { ttft_ms: 5, itl_ms: 1, output_tokens: 6, reasoning_tokens: 4 },
    });
    try {
      const client = new Anthropic({ baseURL: thinking.url, apiKey: 'sk-ant-test', maxRetries: 0 });
      const stream = client.messages.stream({
        model: 'claude-mock',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Think first.' }],
      });
      let thoughts = 0;
      let texts = 0;
      stream.on('thinking', () => thoughts++);
      stream.on('text', () => texts++);
      const msg = await stream.finalMessage();
      expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
      expect(thoughts).toBe(4);
      expect(texts).toBe(6);
      expect(msg.usage.output_tokens).toBe(10);
      const whole = await client.messages.create({
        model: 'claude-mock',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Think first.' }],
      });
      expect(whole.content.map((b) => b.type)).toEqual(['thinking', 'text']);
      const [a, b] = [msg.content[1], whole.content[1]];
      expect(a?.type === 'text' && b?.type === 'text' && a.text === b.text).toBe(true);
    } finally {
      await thinking.close();
    }
  });
});
