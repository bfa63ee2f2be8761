import { afterEach, describe, expect, it } from 'vitest';
import {
  type FixtureServer,
  readBody,
  sseChunk,
  startFixtureServer,
} from '../../test/support/fixture-server.js';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { RunAggregator } from '../metrics/index.js';

let server: FixtureServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Sent {
  messages: { role: string; content: string }[];
}

/** A recording chat server: answers turn N with a reply that names N. */
async function recordingServer(bodies: Sent[]) {
  return startFixtureServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Sent;
    bodies.push(body);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    sseChunk(res, `Reply number ${bodies.length}`);
    sseChunk(res, ` about ${body.messages.at(-1)?.content.slice(0, 20)}`);
    res.end(
      `data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
    );
  });
}

describe('multi-turn sessions', () => {
  it('sends a growing conversation of 5 turns, each holding the previous actual reply', async () => {
    const bodies: Sent[] = [];
    server = await recordingServer(bodies);
    const workload = workloadFor(
      {
        scenarios: [
          {
            name: 'chat',
            session: {
              turns: 5,
              system: 'You are a helpful assistant for VU {{ vu }}.',
              user_messages: ['Hello, this is turn {{ turn }}.', 'And a follow-up at turn {{ turn }}.'],
              chat: { model: 'm', max_tokens: 32 },
            },
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 1 });
    expect(bodies.map((b) => b.messages.length)).toEqual([2, 4, 6, 8, 10]);
    expect(bodies[0]?.messages[0]).toEqual({
      role: 'system',
      content: 'You are a helpful assistant for VU 0.',
    });
    for (let t = 1; t < 5; t++) {
      const messages = (bodies[t] as Sent).messages;
      // The previous turn's conversation is kept verbatim, then its actual reply, then the new message.
      expect(messages.slice(0, messages.length - 2)).toEqual((bodies[t - 1] as Sent).messages);
      const reply = messages.at(-2);
      expect(reply?.role).toBe('assistant');
      expect(reply?.content).toBe(
        `Reply number ${t} about ${(bodies[t - 1] as Sent).messages.at(-1)?.content.slice(0, 20)}`,
      );
      expect(messages.at(-1)).toEqual({
        role: 'user',
        content: t % 2 === 0 ? `Hello, this is turn ${t + 1}.` : `And a follow-up at turn ${t + 1}.`,
      });
    }
    expect(records.map((r) => r.turn)).toEqual([1, 2, 3, 4, 5]);
    const context = records.map((r) => r.contextTokens as number);
    for (let i = 1; i < 5; i++) expect(context[i]).toBeGreaterThan(context[i - 1] as number);

    const aggregator = new RunAggregator();
    for (const r of records) aggregator.add(r);
    const chat = aggregator.snapshot({ name: 't', startedAt: '', durationS: 1 }).scenarios.chat;
    expect(Object.keys(chat?.turns ?? {})).toEqual(['1', '2', '3', '4', '5']);
    expect(chat?.turns?.['5']?.context_tokens.mean).toBe(context[4]);
    expect(chat?.turns?.['1']?.ttft_ms.count).toBe(1);
    expect(chat?.context?.[0]).toMatchObject({ min_tokens: 0, max_tokens: 256, requests: 5 });
  });

  it('draws the number of turns from a distribution and takes a feeder row per turn', async () => {
    const bodies: Sent[] = [];
    server = await recordingServer(bodies);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'ts-session-')), 'q.jsonl');
    writeFileSync(
      file,
      Array.from({ length: 40 }, (_, i) => JSON.stringify({ q: `question ${i}` })).join('\n'),
    );
    const workload = workloadFor(
      {
        seed: 3,
        scenarios: [
          {
            name: 'chat',
            feeder: { file, strategy: 'sequential' },
            session: {
              turns: { dist: 'uniform', min: 1, max: 4 },
              user_messages: ['{{ row.q }}'],
              chat: { model: 'm' },
            },
          },
        ],
      },
      server.url,
    );
    const records = await runWorkload(workload, { iterations: 6 });
    const perIteration = new Map<number, number>();
    for (const r of records) perIteration.set(r.iteration, (perIteration.get(r.iteration) ?? 0) + 1);
    const counts = [...perIteration.values()];
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...counts)).toBeLessThanOrEqual(4);
    expect(new Set(counts).size).toBeGreaterThan(1);
    // Rows in file order, one per turn, never repeated.
    expect(bodies.map((b) => b.messages.at(-1)?.content)).toEqual(records.map((_, i) => `question ${i}`));
  });
});
