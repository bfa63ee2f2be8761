import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createAgentPlanner, reportsFailure } from './mock-agent.js';
import { type MockServer, startMockServer } from './mock-server.js';

const TOOLS = ['search', 'lookup'];

describe('the mock as an agent model: its plan', () => {
  it('makes the planned tool-call turns, then answers; the same task gets the same plan', () => {
    const planner = createAgentPlanner(7, { tool_turns: 3, parallel: 2, max_retries: 2, argument_words: 4 });
    const messages: unknown[] = [{ role: 'user', content: 'task one' }];
    let turns = 0;
    for (let i = 0; i < 10; i++) {
      const calls = planner.turn(messages, TOOLS);
      if (calls === undefined) break;
      turns++;
      expect(calls).toHaveLength(2);
      expect(
        createAgentPlanner(7, { tool_turns: 3, parallel: 2, max_retries: 2, argument_words: 4 }).turn(
          messages,
          TOOLS,
        ),
      ).toEqual(calls);
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      });
      for (const c of calls) {
        expect(TOOLS).toContain(c.name);
        expect(JSON.parse(c.arguments)).toHaveProperty('query');
        messages.push({ role: 'tool', tool_call_id: c.id, content: '{"ok":true}' });
      }
    }
    expect(turns).toBe(3);
  });

  it('calls a failed tool again, up to max_retries, then goes on with the plan', () => {
    const planner = createAgentPlanner(1, { tool_turns: 1, parallel: 1, max_retries: 2, argument_words: 3 });
    const messages: unknown[] = [{ role: 'user', content: 'flaky' }];
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const calls = planner.turn(messages, TOOLS);
      if (calls === undefined) break;
      ids.push(...calls.map((c) => c.id));
      messages.push({
        role: 'assistant',
        content: null,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.name, arguments: c.arguments },
        })),
      });
      for (const c of calls)
        messages.push({ role: 'tool', tool_call_id: c.id, content: '{"error":"timeout"}' });
    }
    // The first call and two retries; then the plan (one turn) is done.
    expect(ids).toEqual(['call_0_0_1', 'call_0_0_2', 'call_0_0_3']);
  });

  it('reads failures from tool results', () => {
    expect(reportsFailure('{"error":"timeout"}')).toBe(true);
    expect(reportsFailure('Error: connection refused')).toBe(true);
    expect(reportsFailure('{"result":"an error was found"}')).toBe(false);
    expect(reportsFailure('all good')).toBe(false);
  });
});

let server: MockServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('the mock as an agent model: on the wire', () => {
  it('streams parallel tool calls the openai SDK assembles, then a final answer', async () => {
    server = await startMockServer({
      profile: {
        ttft_ms: 5,
        itl_ms: 1,
        output_tokens: 5,
        agent: { tool_turns: 1, parallel: 3, argument_words: 12 },
      },
    });
    const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'x' });
    const tools = TOOLS.map((name) => ({
      type: 'function' as const,
      function: { name, parameters: { type: 'object', properties: { query: { type: 'string' } } } },
    }));
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'find the answer' }];
    const stream = client.chat.completions.stream({
      model: 'm',
      messages,
      tools,
      stream_options: { include_usage: true },
    });
    let deltas = 0;
    for await (const chunk of stream) if (chunk.choices[0]?.delta.tool_calls !== undefined) deltas++;
    const first = await stream.finalChatCompletion();
    const choice = first.choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    const calls = choice?.message.tool_calls ?? [];
    expect(calls).toHaveLength(3);
    // Arguments came in pieces (more deltas than calls) and join into valid JSON.
    expect(deltas).toBeGreaterThan(3);
    for (const c of calls) {
      expect(c.type === 'function' && TOOLS.includes(c.function.name)).toBe(true);
      if (c.type === 'function') expect(JSON.parse(c.function.arguments).query.split(' ').length).toBe(12);
    }
    // Non-streamed, the same turn is the same calls.
    const whole = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(whole.choices[0]?.message.tool_calls).toEqual(calls);
    messages.push(choice?.message as OpenAI.ChatCompletionMessageParam);
    for (const c of calls) messages.push({ role: 'tool', tool_call_id: c.id, content: '{"ok":true}' });
    const final = await client.chat.completions.create({ model: 'm', messages, tools });
    expect(final.choices[0]?.finish_reason).toBe('stop');
    expect(final.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});
