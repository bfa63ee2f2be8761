import { existsSync } from 'node:fs';
import OpenAI from 'openai';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';

// vitest runs sources, and a worker thread cannot load a .ts entry; the compiled
// dist/ is tested here when present, and the end-to-end CLI tests cover it always.
const compiledThread = new URL('../../dist/sim/mock-thread.js', import.meta.url);
const workerBuilt = existsSync(new URL('../../dist/sim/mock-worker.js', import.meta.url));

describe.runIf(workerBuilt)('startMockInThread (compiled dist/)', () => {
  it('serves from a worker thread and closes', async () => {
    const { startMockInThread } = (await import(compiledThread.href)) as typeof import('./mock-thread.js');
    const mock = await startMockInThread({ ttft_ms: 1, itl_ms: 0, output_tokens: 9 });
    try {
      expect(mock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const chat = await new OpenAI({
        baseURL: `${mock.url}/v1`,
        apiKey: 'test',
        maxRetries: 0,
      }).chat.completions.create({
        model: 'mock-model',
        messages: [{ role: 'user', content: 'hi' }],
      });
      expect(chat.usage?.completion_tokens).toBe(9);
    } finally {
      await mock.close();
    }
    await expect(request(`${mock.url}/v1/models`)).rejects.toThrow();
  });
});
