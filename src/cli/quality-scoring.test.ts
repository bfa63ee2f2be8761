import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QualityTestSchema } from '../config/index.js';
import type { QualityRow } from '../metrics/index.js';
import { startMockServer } from '../sim/index.js';
import { parseJudgeScore, scoreQuality } from './quality-scoring.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function fixture(
  handler: (req: IncomingMessage, body: string, res: ServerResponse) => void,
): Promise<string> {
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => handler(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}

const rows: QualityRow[] = Array.from({ length: 40 }, (_, id) => ({
  id,
  scheduled: id,
  end: id + 1,
  q: {
    key: id,
    text: id % 2 === 0 ? 'the queue grows under load' : 'bananas are yellow',
    reference: 'the queue grows under load',
  },
}));

describe('scoreQuality', () => {
  it('scores cosine from the mock embeddings in batches, one per answer', async () => {
    const mock = await startMockServer();
    closers.push(() => mock.close());
    const config = QualityTestSchema.parse({ embeddings: { url: 'mock', model: 'e', concurrency: 2 } });
    const out = await scoreQuality(rows, config, mock.url);
    expect(out?.scoring?.embeddings).toEqual({ scored: 40, failed: 0 });
    const cos = new Map(out?.cosine);
    expect(cos.get(0)).toBeCloseTo(1, 4);
    expect(cos.get(1)).toBeLessThan(0.5);
    expect(mock.stats().requests).toBe(3);
  });

  it('grades a sample with the judge, sends the key from the environment, and parses the score', async () => {
    const seen: string[] = [];
    const url = await fixture((req, body, res) => {
      seen.push(String(req.headers.authorization));
      const answer = (JSON.parse(body) as { messages: { content: string }[] }).messages[1]?.content ?? '';
      res.writeHead(200, { 'content-type': 'application/json' });
      const grade = answer.endsWith('bananas are yellow') ? '**Score:** 1' : 'Score: 5. Correct.';
      res.end(JSON.stringify({ choices: [{ message: { content: grade } }] }));
    });
    process.env.QUALITY_TEST_JUDGE_KEY = 'sk-judge-secret';
    const config = QualityTestSchema.parse({
      judge: { url, model: 'j', api_key_env: 'QUALITY_TEST_JUDGE_KEY', sample: 0.5 },
    });
    const out = await scoreQuality(rows, config, undefined);
    const judge = out?.scoring?.judge;
    // About half the answers, chosen by a hash of their ids (the same every time).
    expect(judge?.sampled).toBeGreaterThan(8);
    expect(judge?.sampled).toBeLessThan(32);
    expect(judge).toMatchObject({ graded: judge?.sampled, failed: 0 });
    for (const [id, score] of out?.judge ?? []) expect(score).toBe(id % 2 === 0 ? 5 : 1);
    expect(new Set(seen)).toEqual(new Set(['Bearer sk-judge-secret']));
    expect(await scoreQuality(rows, config, undefined)).toEqual(out);
  });

  it('reports failures without throwing: HTTP errors, bad replies, an unreachable endpoint, a missing key', async () => {
    let n = 0;
    const url = await fixture((_req, _body, res) => {
      n++;
      if (n % 2 === 0) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"message":"boom"}}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ choices: [{ message: { content: 'I would rather not say.' } }] }));
    });
    const config = QualityTestSchema.parse({
      judge: { url, model: 'j', sample: 1, max: 10, concurrency: 1 },
      embeddings: { url: 'http://127.0.0.1:9/v1', model: 'e', timeout: '2s' },
    });
    const out = await scoreQuality(rows, config, undefined);
    expect(out?.scoring?.judge).toMatchObject({ sampled: 10, graded: 0, failed: 10 });
    expect(out?.scoring?.judge?.error).toMatch(/HTTP 500|no score/);
    expect(out?.scoring?.embeddings?.scored).toBe(0);
    expect(out?.scoring?.embeddings?.error).toBeDefined();

    delete process.env.QUALITY_TEST_MISSING_KEY;
    const missing = QualityTestSchema.parse({
      judge: { url, model: 'j', api_key_env: 'QUALITY_TEST_MISSING_KEY' },
    });
    const none = await scoreQuality(rows, missing, undefined);
    expect(none?.scoring?.judge?.error).toContain('QUALITY_TEST_MISSING_KEY is not set');
    const mock = QualityTestSchema.parse({ embeddings: { url: 'mock', model: 'e' } });
    expect((await scoreQuality(rows, mock, undefined))?.scoring?.embeddings?.error).toContain('target: mock');
  });
});

describe('parseJudgeScore', () => {
  it('reads the labelled score, else the first number', () => {
    expect(parseJudgeScore('Score: 4')).toBe(4);
    expect(parseJudgeScore('**Score**: 3.5 because...')).toBe(3.5);
    expect(parseJudgeScore('I give it 2 out of 5')).toBe(2);
    expect(parseJudgeScore('no idea')).toBeUndefined();
  });
});
