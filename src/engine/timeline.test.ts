import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTest } from '../config/index.js';
import { type FaultProxy, type MockServer, startFaultProxy, startMockServer } from '../sim/index.js';
import { type FaultEventLine, startTimeline } from './timeline.js';

let mock: MockServer;
let proxy: FaultProxy;
beforeAll(async () => {
  mock = await startMockServer();
  proxy = await startFaultProxy({
    upstream: mock.url,
    faults: { faults: [{ kind: 'latency', delay_ms: 5 }] },
  });
});
afterAll(async () => {
  await proxy.close();
  await mock.close();
});

const testWith = (events: unknown[]) =>
  parseTest(
    {
      target: 'http://127.0.0.1:9/v1',
      proxies: { P: { control: proxy.url } },
      events,
      scenarios: [{ name: 's', steps: [{ http: { url: '/x' } }] }],
      load: { executor: 'constant-vus', vus: 1, duration: '1s' },
    },
    't.yaml',
  );

describe('startTimeline', () => {
  it('adds the fault to what the proxy had, and restores it when the run ends before the event does', async () => {
    const lines: FaultEventLine[] = [];
    const timeline = await startTimeline(
      testWith([
        { at: 0, proxy: 'P', fault: 'outage' },
        { at: '50ms', label: 'marker here' },
      ]),
      (l) => lines.push(l),
      () => undefined,
    );
    timeline.arm(performance.timeOrigin + performance.now());
    await new Promise((r) => setTimeout(r, 150));
    expect(proxy.faults().faults.map((f) => f.kind)).toEqual(['latency', 'outage']);
    await timeline.close();
    expect(proxy.faults().faults.map((f) => f.kind)).toEqual(['latency']);
    // A line is written when its event has taken effect: `applied` after two round trips to the
    // proxy, the marker on its 50 ms timer. Which comes first depends on how busy the machine is
    // (a full parallel suite once took the round trips past 50 ms), so only the revert's place is fixed.
    const seen = lines.map((l) => [l.phase, l.label]);
    expect(seen.slice(0, 2).sort()).toEqual([
      ['applied', 'P: outage'],
      ['marker', 'marker here'],
    ]);
    expect(seen[2]).toEqual(['reverted', 'P: outage']);
    expect(seen).toHaveLength(3);
    expect(timeline.marks().map((m) => [m.index, m.label])).toEqual([
      [0, 'P: outage'],
      [1, 'marker here'],
    ]);
    // Closing twice is harmless (the coordinator closes on every path).
    await timeline.close();
  });

  it('records an error, and does not throw, when the proxy cannot be reached', async () => {
    const lines: FaultEventLine[] = [];
    const test = testWith([{ at: 0, proxy: 'P', fault: 'outage', for: '1s' }]);
    const timeline = await startTimeline(
      { ...test, proxies: { P: { control: 'http://127.0.0.1:9' } } },
      (l) => lines.push(l),
      () => undefined,
    );
    timeline.arm(performance.timeOrigin + performance.now());
    await new Promise((r) => setTimeout(r, 150));
    await timeline.close();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ phase: 'applied', proxy: 'P' });
    expect(lines[0]?.error).toMatch(/ECONNREFUSED|connect/);
    expect(timeline.marks()[0]?.error).toBe(lines[0]?.error);
  });
});
