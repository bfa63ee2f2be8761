import { describe, expect, it } from 'vitest';
import { parseTest } from './load-test.js';

const base = {
  target: 'http://127.0.0.1:9/v1',
  scenarios: [{ name: 's', steps: [{ http: { url: '/x' } }] }],
  load: { executor: 'constant-vus', vus: 1, duration: '1s' },
};
const errorOf = (extra: Record<string, unknown>): string => {
  try {
    parseTest({ ...base, ...extra }, 't.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'no error';
};

describe('timeline fields', () => {
  it('accepts started and running proxies, named and full faults, markers, telemetry and recovery', () => {
    const test = parseTest(
      {
        ...base,
        proxies: {
          A: { upstream: 'http://127.0.0.1:8000', port: 0 },
          B: { control: 'http://127.0.0.1:9000' },
        },
        events: [
          { at: '1s', proxy: 'A', fault: 'outage', for: '500ms' },
          { at: 2, proxy: 'B', fault: { kind: 'latency', delay_ms: 200 } },
          { at: '3s', proxy: 'B', fault: [{ kind: 'error', probability: 0.5 }], label: 'flaky B' },
          { at: '4s', label: 'load drops' },
        ],
        telemetry: { prometheus: { A: 'http://127.0.0.1:8000/metrics' }, interval: '250ms' },
        recovery: { max_error_rate: 0.05 },
      },
      't.yaml',
    );
    expect(test.events?.map((e) => [e.at, e.for])).toEqual([
      [1000, 500],
      [2000, undefined],
      [3000, undefined],
      [4000, undefined],
    ]);
    expect(test.telemetry?.interval).toBe(250);
    expect(test.recovery).toEqual({ max_error_rate: 0.05, band: 1.5 });
  });

  it('names the file, the field path and what was expected', () => {
    expect(
      errorOf({
        proxies: { A: { control: 'http://127.0.0.1:1' } },
        events: [{ at: '1s', proxy: 'B', fault: 'outage' }],
      }),
    ).toBe('t.yaml: events[0].proxy: expected one of the names in "proxies" (A), got "B"');
    expect(errorOf({ proxies: { A: { control: 'x' } } })).toBe(
      't.yaml: proxies.A.control: expected the proxy URL (an http(s) URL), got "x"',
    );
    // `port` belongs to the upstream form only: the error is that form's.
    expect(errorOf({ proxies: { A: { port: 1 } } })).toBe(
      't.yaml: proxies.A.upstream: missing, expected the upstream URL (an http(s) URL)',
    );
    expect(errorOf({ proxies: { A: 'x' } })).toMatch(
      /^t\.yaml: proxies\.A: expected \{ upstream: URL, port\?: N \}/,
    );
    expect(
      errorOf({
        proxies: { A: { control: 'http://h' } },
        events: [{ at: '1s', proxy: 'A', fault: 'explode' }],
      }),
    ).toMatch(
      /^t\.yaml: events\[0\]\.fault: expected a fault kind \(outage, error, rate_limit, reset, stall, cut\)/,
    );
    expect(errorOf({ events: [{ at: 'soon' }] })).toMatch(/^t\.yaml: events\[0\]\.at: expected a duration/);
    expect(errorOf({ proxies: { A: { control: 'http://h' } }, events: [{ at: 1, proxy: 'A' }] })).toMatch(
      /^t\.yaml: events\[0\]\.fault: expected both "proxy" and "fault" \(a fault event\) or neither \(a marker\)/,
    );
    expect(errorOf({ telemetry: { prometheus: 'mock' } })).toMatch(
      /^t\.yaml: telemetry\.prometheus: "mock" scrapes the embedded mock, which runs only with target: mock/,
    );
    expect(errorOf({ telemetry: { prometheus: 'http://h/metrics', interval: '10ms' } })).toMatch(
      /^t\.yaml: telemetry\.interval: expected an interval of at least 50ms/,
    );
    expect(
      errorOf({
        telemetry: { prometheus: { A: 'http://h/metrics' } },
        events: [{ at: 1, failover: { from: 'A', to: 'C' } }],
      }),
    ).toBe('t.yaml: events[0].failover.to: expected a name in telemetry.prometheus (A), got "C"');
    expect(errorOf({ recovery: { band: 0.5 } })).toMatch(
      /^t\.yaml: recovery\.band: expected a factor of at least 1/,
    );
  });
});
