import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { runWorkload, workloadFor } from '../../test/support/run-workload.js';
import { RunAggregator } from '../metrics/index.js';
import { type MockServer, startMockServer } from '../sim/index.js';

let mock: MockServer | undefined;
afterEach(async () => {
  await mock?.close();
  mock = undefined;
});

const chat = {
  chat: { model: 'mock-model', messages: [{ role: 'user' as const, content: 'Tell me a story.' }] },
};

async function settledAborts(server: MockServer, expected: number): Promise<number> {
  // The server sees a disconnect when the socket closes: give it a moment, bounded.
  for (let i = 0; i < 50 && server.stats().aborted < expected; i++) await sleep(20);
  return server.stats().aborted;
}

describe('cancellation', () => {
  it('cancels ~30% of streams after N tokens, never as errors, and the server sees each disconnect', async () => {
    // Answers of 30 tokens, 8 ms apart: a cancel by token 10 leaves the server well over 100 ms of stream to send.
    mock = await startMockServer({ profile: { ttft_ms: 5, itl_ms: 8, output_tokens: 30 } });
    const workload = workloadFor(
      {
        seed: 21,
        scenarios: [
          {
            name: 'chat',
            steps: [chat],
            cancel: { probability: 0.3, after_tokens: { dist: 'uniform', min: 3, max: 10 } },
          },
        ],
      },
      `${mock.url}/v1`,
    );
    const records = await runWorkload(workload, { iterations: 300, vus: 20 });
    const cancelled = records.filter((r) => r.outcome === 'cancelled');
    const share = cancelled.length / records.length;
    expect(Math.abs(share - 0.3)).toBeLessThan(0.06);
    expect(records.filter((r) => r.outcome === 'error')).toHaveLength(0);
    for (const r of cancelled) {
      expect(r.message).toMatch(/cancelled by the user after \d+ output tokens/);
      // Tokens received before the abort are kept: at least the planned 3, fewer than the full 30.
      expect(r.outputTokensClient).toBeGreaterThanOrEqual(3);
      expect(r.outputTokensClient).toBeLessThan(30);
      expect(r.error).toBeUndefined();
    }
    expect(await settledAborts(mock, cancelled.length)).toBe(cancelled.length);
    expect(mock.stats().completed).toBe(records.length - cancelled.length);
    const aggregator = new RunAggregator();
    for (const r of records) aggregator.add(r);
    const summary = aggregator.snapshot({ name: 't', startedAt: '', durationS: 1 });
    expect(summary.counts).toMatchObject({ cancelled: cancelled.length, errors: 0 });
    expect(summary.rates.error_rate).toBe(0);
  });

  it('cancels after a drawn time, recording when and how many tokens arrived', async () => {
    mock = await startMockServer({ profile: { ttft_ms: 10, itl_ms: 10, output_tokens: 100 } });
    const workload = workloadFor(
      { scenarios: [{ name: 'chat', steps: [chat], cancel: { probability: 1, after_ms: 120 } }] },
      `${mock.url}/v1`,
    );
    const records = await runWorkload(workload, { iterations: 5 });
    for (const r of records) {
      expect(r.outcome).toBe('cancelled');
      expect(r.message).toBe('cancelled by the user after 120 ms');
      // The mock was told 10 ms TTFT and 10 ms per token: ~11 tokens by 120 ms, against 100 tokens
      // and ~1 s uncancelled. The upper bounds tell the two apart with room for a busy machine.
      expect(r.e2eMs).toBeGreaterThanOrEqual(119);
      expect(r.e2eMs).toBeLessThan(700);
      expect(r.outputTokensClient).toBeGreaterThanOrEqual(6);
      expect(r.outputTokensClient).toBeLessThanOrEqual(70);
    }
    expect(await settledAborts(mock, 5)).toBe(5);
  });
});
