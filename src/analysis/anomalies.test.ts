import { describe, expect, it } from 'vitest';
import { type AnomalyWindow, anomalyConcordance, detectAnomalies } from './anomalies.js';

/** A steady window with a little deterministic jitter; `over` replaces fields. */
function win(i: number, over: Partial<AnomalyWindow> = {}): AnomalyWindow {
  const j = ((i * 7) % 5) - 2; // -2..2
  return {
    start_s: i,
    requests: 100,
    errors: 0,
    output_tokens: 1000 + 10 * j,
    ttft_ms: { p50: 25 + j, p95: 40 + j, p99: 55 + 2 * j },
    e2e_ms: { p50: 60 + j, p95: 80 + j, p99: 95 + 2 * j },
    itl_ms: { p99: 6 },
    scheduling_lag_ms: { p99: 1 },
    ...over,
  };
}

const steady = (n: number) => Array.from({ length: n }, (_, i) => win(i));

describe('detectAnomalies', () => {
  it('finds nothing in a steady series', () => {
    expect(detectAnomalies({ windows: steady(30), durationS: 30 })).toEqual([]);
  });

  it('flags a p99-only spike (p95 flat) in its windows and links it to the injected event', () => {
    const windows = steady(20).map((w) =>
      w.start_s >= 9 && w.start_s < 12
        ? { ...w, ttft_ms: { ...w.ttft_ms, p99: 450 }, e2e_ms: { ...w.e2e_ms, p99: 500 } }
        : w,
    );
    const anomalies = detectAnomalies({
      windows,
      durationS: 20,
      events: [{ at: 9.02, label: 'slow: latency', for_s: 3 }],
    });
    expect(anomalies.map((a) => a.metric).sort()).toEqual(['e2e_ms.p99', 'ttft_ms.p99']);
    for (const a of anomalies) {
      expect(a).toMatchObject({ windows: [9, 12], kind: 'spike', generator_limited: false });
      expect(a.size).toBeGreaterThan(4);
      expect(a.causes).toEqual([{ type: 'event', label: 'slow: latency', at_s: 9.02 }]);
    }
    // A generator a little late at the same time (30 ms) cannot explain a 400 ms rise: still the target's.
    const busy = detectAnomalies({
      windows,
      durationS: 20,
      events: [{ at: 9.02, label: 'slow: latency', for_s: 3 }],
      generator: {
        loopDelayP99Ms: Array.from({ length: 19 }, () => 30),
        loopDelayAtS: Array.from({ length: 19 }, (_, i) => i + 1.01),
      },
    });
    expect(busy.map((a) => [a.metric, a.generator_limited])).toEqual([
      ['ttft_ms.p99', false],
      ['e2e_ms.p99', false],
    ]);
    expect(busy[0]?.causes).toContainEqual({
      type: 'generator',
      label: 'event loop late: p99 30 ms',
      at_s: 8.01,
    });
    // …unless the target shares the generator's machine (the embedded mock): then a busy machine explains it.
    const shared = detectAnomalies({
      windows,
      durationS: 20,
      sameHost: true,
      generator: {
        loopDelayP99Ms: Array.from({ length: 19 }, () => 30),
        loopDelayAtS: Array.from({ length: 19 }, (_, i) => i + 1.01),
      },
    });
    expect(shared.map((a) => a.generator_limited)).toEqual([true, true]);
  });

  it('labels a spike that coincides with a generator stall as the generator’s', () => {
    const windows = steady(20).map((w) =>
      w.start_s === 10 ? { ...w, e2e_ms: { ...w.e2e_ms, p95: 900, p99: 1100 } } : w,
    );
    const loopDelayP99Ms = Array.from({ length: 19 }, (_, i) => (i === 9 ? 950 : 1));
    const loopDelayAtS = Array.from({ length: 19 }, (_, i) => i + 1.01);
    const anomalies = detectAnomalies({
      windows,
      durationS: 20,
      generator: { loopDelayP99Ms, loopDelayAtS },
    });
    expect(anomalies.length).toBeGreaterThan(0);
    for (const a of anomalies) {
      expect(a.generator_limited).toBe(true);
      expect(a.causes).toContainEqual({
        type: 'generator',
        label: 'event loop late: p99 950 ms',
        at_s: 9.01,
      });
    }
    // One long block hides from the second's p99; its largest delay still shows it.
    const blocked = detectAnomalies({
      windows,
      durationS: 20,
      generator: {
        loopDelayP99Ms: loopDelayP99Ms.map(() => 3),
        loopDelayAtS,
        loopDelaySampleMaxMs: loopDelayP99Ms.map((d) => (d > 100 ? 1010 : 4)),
      },
    });
    expect(blocked.length).toBeGreaterThan(0);
    for (const a of blocked) {
      expect(a.generator_limited).toBe(true);
      // The block began about its length before the sample that reported it.
      expect(a.causes).toContainEqual({ type: 'generator', label: 'event loop stalled 1010 ms', at_s: 8 });
    }
    // Without the generator's figures the same spike is the target's.
    expect(detectAnomalies({ windows, durationS: 20 }).every((a) => !a.generator_limited)).toBe(true);
    const concordance = anomalyConcordance(anomalies, [{ passed: true }]);
    expect(concordance).toMatchObject({ thresholds_failed: 0, agree: true });
    expect(concordance.generator_limited).toBe(concordance.anomalies);
  });

  it('does not count a window with few requests, the settling windows, or a warm-up', () => {
    const windows = steady(20).map((w) => {
      if (w.start_s === 0) return { ...w, ttft_ms: { p50: 300, p95: 400, p99: 500 } };
      if (w.start_s === 12) return { ...w, requests: 3, ttft_ms: { p50: 300, p95: 400, p99: 500 } };
      return w;
    });
    expect(detectAnomalies({ windows, durationS: 20 })).toEqual([]);
    const warm = steady(20).map((w) =>
      w.start_s === 12 ? { ...w, e2e_ms: { p50: 300, p95: 400, p99: 500 } } : w,
    );
    const stages = [{ name: 'w', startMs: 12000, endMs: 13000, warmup: true }];
    expect(detectAnomalies({ windows: warm, durationS: 20, stages })).toEqual([]);
  });

  it('judges each stage against itself: a planned step up in load is not an anomaly', () => {
    const windows = steady(30).map((w) =>
      w.start_s >= 15
        ? { ...w, e2e_ms: { p50: 200, p95: 260, p99: 300 }, ttft_ms: { p50: 90, p95: 120, p99: 150 } }
        : w,
    );
    const stages = [
      { name: 'low', startMs: 0, endMs: 15000 },
      { name: 'high', startMs: 15000, endMs: 30000 },
    ];
    expect(detectAnomalies({ windows, durationS: 30, stages })).toEqual([]);
    // Without the stages the same step is a level shift.
    const shifts = detectAnomalies({ windows, durationS: 30 });
    expect(shifts.length).toBeGreaterThan(0);
    expect(shifts.every((a) => a.kind === 'shift' && a.windows[0] === 15)).toBe(true);
  });

  it('flags an error burst and a throughput dip, with a telemetry jump as a cause', () => {
    const windows = steady(20).map((w) =>
      w.start_s >= 10 && w.start_s < 12 ? { ...w, errors: 30, output_tokens: 300 } : w,
    );
    const waiting = Array.from({ length: 20 }, (_, i): [number, number] => [
      i + 0.5,
      i >= 10 && i < 12 ? 40 : 2,
    ]);
    const anomalies = detectAnomalies({
      windows,
      durationS: 20,
      telemetry: [{ name: 'vllm:num_requests_waiting', points: waiting }],
    });
    expect(anomalies.map((a) => a.metric)).toEqual(['error_rate', 'output_tokens_per_s']);
    expect(anomalies[0]).toMatchObject({ windows: [10, 12], size: 0.3, baseline: 0 });
    expect(anomalies[0]?.causes).toEqual([
      { type: 'telemetry', label: 'vllm:num_requests_waiting 2 → 40', at_s: 10.5 },
    ]);
  });

  it('leaves out the last window when the run ended inside it, and the last whole one (the load stopping)', () => {
    const windows = steady(21).map((w) =>
      w.start_s >= 19 ? { ...w, output_tokens: 100, e2e_ms: { p50: 300, p95: 400, p99: 500 } } : w,
    );
    expect(detectAnomalies({ windows, durationS: 20.3 })).toEqual([]);
    expect(detectAnomalies({ windows, durationS: 21 }).map((a) => a.windows)).toContainEqual([19, 20]);
  });
});

describe('anomalyConcordance', () => {
  it('agrees when both or neither see a problem', () => {
    expect(anomalyConcordance([], [{ passed: true }])).toEqual({
      anomalies: 0,
      generator_limited: 0,
      thresholds: 1,
      thresholds_failed: 0,
      agree: true,
    });
    expect(anomalyConcordance([], [{ passed: false }]).agree).toBe(false);
  });
});
