import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type FixtureServer, startFixtureServer } from '../../test/support/fixture-server.js';
import { createClock } from '../core/index.js';
import { handOver, heldCount, sliceMs, TURN_BUDGET_MS } from './completion-turns.js';
import { exchange } from './exchange.js';
import { HttpClient } from './http1/index.js';

describe('handOver', () => {
  it('hands results over at once within the turn budget, then at least a turn-budget share per later turn', async () => {
    const order: number[] = [];
    const take = (n: number) => order.push(n);
    // One turn: three results within the budget, then four after it ran out.
    handOver(take, 1, 1_000);
    handOver(take, 2, 1_000 + TURN_BUDGET_MS / 4);
    handOver(take, 3, 1_000 + TURN_BUDGET_MS / 2);
    for (let n = 4; n <= 7; n++) handOver(take, n, 1_000 + TURN_BUDGET_MS * 2);
    expect(order).toEqual([1, 2, 3]);
    expect(heldCount()).toBe(4);
    // A later turn hands over at least as many as the full turn fitted (three), oldest first.
    await nextTurn();
    expect(order.slice(0, 6)).toEqual([1, 2, 3, 4, 5, 6]);
    if (order.length < 7) await nextTurn();
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(heldCount()).toBe(0);
    // A new turn starts with a fresh budget.
    handOver(take, 8, 5_000);
    expect(order.at(-1)).toBe(8);
    await nextTurn();
  });

  it('in a closed model gives held results as long as the rest of the loop was busy', async () => {
    const order: number[] = [];
    const take = (n: number) => order.push(n);
    // A turn that fits one result in its budget, then holds six.
    handOver(take, 1, 10_000);
    for (let n = 2; n <= 7; n++) handOver(take, n, 10_000 + TURN_BUDGET_MS * 2);
    expect(order).toEqual([1]);
    expect(heldCount()).toBe(6);
    // The loop stays busy for 8 turn budgets before the turn ends (reading other sockets, say):
    // the next turn may hand over at least 8 × one result, so all six go at once.
    const until = performance.now() + 8 * TURN_BUDGET_MS;
    while (performance.now() < until);
    await nextTurn();
    expect(order).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(heldCount()).toBe(0);
  });
});

describe('sliceMs', () => {
  it('is the busy time since the last hand-over less its own slice, at least the turn budget', () => {
    expect(sliceMs(10, 2)).toBe(8);
    expect(sliceMs(10, 9.5)).toBe(TURN_BUDGET_MS);
    expect(sliceMs(0, 0)).toBe(TURN_BUDGET_MS);
  });
});

describe('exchange under a burst of ended responses', () => {
  let server: FixtureServer | undefined;
  const client = new HttpClient();
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('holds the waiting code of responses that end after the turn budget for later turns', async () => {
    const n = 40;
    const waiting: (() => void)[] = [];
    server = await startFixtureServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x');
      // Every response ends in the same turn of the server, once all have started.
      waiting.push(() => res.end('y'));
      if (waiting.length === n) for (const end of waiting.splice(0)) end();
    });
    const clock = createClock();
    const sink = { onStart: () => undefined, onData: () => undefined, onEnd: () => undefined };
    const request = { origin: server.url, path: '/', method: 'GET' as const, headers: {}, timeoutMs: 10_000 };
    let mostHeld = 0;
    const results = await Promise.all(
      Array.from({ length: n }, async () => {
        const result = await exchange(client, clock, request, sink);
        // The code waiting on a response (a record, the next request) takes its time.
        const until = performance.now() + 0.5;
        while (performance.now() < until);
        mostHeld = Math.max(mostHeld, heldCount());
        return result;
      }),
    );
    expect(results.every((r) => r.status === 200 && r.failure === undefined)).toBe(true);
    // 40 × 0.5 ms of waiting code cannot all run in one 1 ms turn: some waited for a later one.
    expect(mostHeld).toBeGreaterThan(0);
    await client.close();
  });
});
