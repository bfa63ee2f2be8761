import { describe, expect, it } from 'vitest';
import type { WindowSummary } from '../../metrics/index.js';
import type { Summary } from '../summary.js';
import { buildChartData, marksSpan } from './chart-data.js';
import { downsampleWindows, windowWidth } from './downsample.js';
import { readSections } from './sections.js';

function win(i: number, over: Partial<WindowSummary> = {}): WindowSummary {
  return {
    start_s: i,
    requests: 10,
    ok: 9,
    errors: 1,
    cancelled: 0,
    dropped: i % 2,
    retries: 0,
    output_tokens: 100,
    byError: { http_5xx: 1 },
    ttft_ms: { p50: 10, p95: 20, p99: 30 },
    e2e_ms: { p50: 100, p95: 200, p99: 300 },
    itl_ms: { p50: 1, p95: 2, p99: 3 },
    scheduling_lag_ms: { p99: 0.5, max: 1 },
    ...over,
  };
}

describe('downsampleWindows', () => {
  it('keeps at most maxPoints buckets, sums counts and keeps the worst percentile of each bucket', () => {
    const windows = Array.from({ length: 3600 }, (_, i) =>
      win(i, i === 1234 ? { ttft_ms: { p50: 10, p95: 20, p99: 5000 } } : {}),
    );
    const buckets = downsampleWindows(windows, 600);
    expect(buckets).toHaveLength(600);
    expect(buckets[0]).toMatchObject({ start_s: 0, width_s: 6, requests: 60, errors: 6, dropped: 3 });
    expect(buckets[0]?.byError).toEqual({ http_5xx: 6 });
    // The one-window spike survives the merge.
    expect(Math.max(...buckets.map((b) => b.ttft_ms.p99))).toBe(5000);
    expect(buckets.reduce((n, b) => n + b.requests, 0)).toBe(36_000);
  });

  it('leaves a short run untouched', () => {
    const windows = [win(0), win(1), win(2)];
    expect(downsampleWindows(windows, 600).map((b) => b.requests)).toEqual([10, 10, 10]);
    expect(windowWidth(windows)).toBe(1);
    expect(windowWidth([win(0), { ...win(0), start_s: 0.5 }])).toBe(0.5);
  });
});

function baseSummary(windows: WindowSummary[]): Summary {
  return {
    schema: 'tokenstorm.summary/v1',
    name: 'x',
    passed: true,
    startedAt: '2026-01-01T00:00:00.000Z',
    durationS: windows.length,
    counts: { requests: 0, ok: 0, errors: 0, cancelled: 0, dropped: 0, byError: { http_5xx: 1 } },
    metrics: {},
    rates: {} as Summary['rates'],
    logical: {} as Summary['logical'],
    slo: {},
    thresholds: [],
    scenarios: {},
    steps: {},
    tokens: { output_server: 0, output_client: 0, input_server: 0, input_client: 0, mismatched_requests: 0 },
    windows,
    distributions: { ttft_ms: { count: 3, p: [0, 50, 100], v: [1, 2, 3] } },
    slowest: [],
  };
}

describe('buildChartData', () => {
  it('draws offered by schedule, sent and throughput from each window’s flow; retries their own series', () => {
    // A saturated second: 40 arrivals offered (2 dropped), 38 sent (8 of them retries), 20 completed.
    const flow = (offered: number, sent: number, completed: number) => ({
      offered_per_s: offered,
      sent_per_s: sent,
      completed_per_s: completed,
      ok_per_s: completed - 1,
      goodput_per_s: completed - 2,
    });
    const windows = [
      win(0, { requests: 28, retries: 8, ok: 19, errors: 1, dropped: 2, flow: flow(40, 38, 20) }),
      win(1, { requests: 25, retries: 0, ok: 24, errors: 1, dropped: 0, flow: flow(0, 0, 25) }),
    ];
    const rate = buildChartData(baseSummary(windows), readSections({})).charts[0];
    const series = new Map(rate?.series.map((s) => [s.label, s.values]));
    expect([...series.keys()]).toEqual([
      'sent',
      'throughput (completed)',
      'offered (scheduled)',
      'ok',
      'retries (attempts after the first)',
    ]);
    expect(series.get('offered (scheduled)')).toEqual([40, 0]);
    expect(series.get('sent')).toEqual([38, 0]);
    expect(series.get('throughput (completed)')).toEqual([20, 25]);
    expect(series.get('ok')).toEqual([19, 24]);
    expect(series.get('retries (attempts after the first)')).toEqual([8, 0]);
    // Three colours, so the three can be told apart.
    const colors = rate?.series.slice(0, 3).map((s) => s.color);
    expect(new Set(colors).size).toBe(3);
  });

  it('averages flow rates when windows are merged', () => {
    const flow = (n: number) => ({
      offered_per_s: n,
      sent_per_s: n,
      completed_per_s: n / 2,
      ok_per_s: n / 2,
      goodput_per_s: 0,
    });
    const windows = Array.from({ length: 7 }, (_, i) => win(i, { flow: flow(i) }));
    const buckets = downsampleWindows(windows, 3);
    expect(buckets.map((b) => [b.width_s, b.flow.offered_per_s, b.flow.completed_per_s])).toEqual([
      [3, 1, 0.5],
      [3, 4, 2],
      [1, 6, 3],
    ]);
  });

  it('reads a summary written before windows had a flow from their end-time counts', () => {
    const windows = [win(0, { requests: 28, retries: 18, ok: 10, errors: 18 }), win(1, { requests: 10 })];
    const rate = buildChartData(baseSummary(windows), readSections({})).charts[0];
    const series = new Map(rate?.series.map((s) => [s.label, s.values]));
    expect(series.get('offered (scheduled)')).toEqual([10, 11]);
    expect(series.get('sent')).toEqual([28, 10]);
    expect(series.get('throughput (completed)')).toEqual([28, 10]);
    expect(series.get('retries (attempts after the first)')).toEqual([18, 0]);
  });

  it('draws offered vs achieved, latency, tokens, errors and lag per window, and the CDFs', () => {
    const data = buildChartData(baseSummary([win(0), win(1)]), readSections({}));
    const ids = data.charts.map((c) => c.id);
    expect(ids).toEqual(['rate', 'ttft', 'itl', 'e2e', 'tokens', 'errors', 'lag', 'cdf-ttft_ms']);
    const rate = data.charts[0];
    expect(rate?.series.map((s) => s.values)).toEqual([
      [10, 10],
      [10, 10],
      [10, 11],
      [9, 9],
    ]);
    expect(data.charts.find((c) => c.id === 'cdf-ttft_ms')).toMatchObject({ x: [1, 2, 3], kind: 'cdf' });
  });

  it('draws a measured sweep against completed throughput, marks at the throughput of their steps', () => {
    const point = (offered: number, throughput: number, p90: number) => ({
      offered,
      offered_per_s: offered,
      sent_per_s: offered,
      throughput_per_s: throughput,
      ok_per_s: throughput,
      goodput_per_s: throughput,
      ttft_ms: { p50: p90 / 2, p90, p99: p90 * 2 },
    });
    const summary = {
      ...baseSummary([win(0), win(1)]),
      sweep: {
        unit: 'req/s',
        curve: [
          point(5, 5, 40),
          point(10, 10, 45),
          point(20, 19.8, 60),
          point(40, 27, 2000),
          point(30, 26.6, 900),
        ],
        capacity: 20,
        knee: 30,
        saturationThroughput: 27,
      },
    };
    const data = buildChartData(summary as unknown as Summary, readSections(summary));
    const sweep = data.charts.find((c) => c.id === 'sweep');
    expect(sweep?.xLabel).toBe('completed throughput (req/s)');
    expect(sweep?.x).toEqual([5, 10, 19.8, 26.6, 27]);
    // Latency climbs steeply at the right end: the bend the offered-load axis hid.
    expect(sweep?.series[0]?.values).toEqual([20, 22.5, 30, 450, 1000]);
    expect(sweep?.series.find((s) => s.label === 'offered (req/s)')?.values).toEqual([5, 10, 20, 30, 40]);
    expect(sweep?.vlines).toEqual([
      { x: 26.6, label: 'knee 30' },
      { x: 19.8, label: 'capacity 20' },
      { x: 27, label: 'saturation 27' },
    ]);
  });

  it('reads stages, events, sweep and telemetry when present, and ignores shapes it does not know', () => {
    const summary = {
      ...baseSummary([win(0), win(1)]),
      stages: [
        { name: 'warm', start: 0, end: 1 },
        { name: 'peak', start_s: 1, end_s: 2 },
      ],
      events: [{ at: 1.5, label: 'outage', for_s: 0.3 }, { at_s: 0.5, fault: 'latency' }, { nope: 1 }],
      sweep: {
        points: [
          { offered: 20, goodput_per_s: 19, ttft_ms: { p50: 50, p95: 80, p99: 90 } },
          { rate: 10, goodput_per_s: 10, ttft_ms: { p50: 40, p95: 60, p99: 70 } },
        ],
        knee: 15,
        capacity: { rate: 18 },
      },
      telemetry: [
        {
          name: 'vllm:num_requests_waiting',
          points: [
            [0, 1],
            [1, 3],
          ],
        },
      ],
    };
    const sections = readSections(summary);
    // One event is unreadable, so the whole list is dropped rather than half-drawn.
    expect(sections.events).toEqual([]);
    const ok = readSections({ ...summary, events: summary.events.slice(0, 2) });
    expect(ok.events).toEqual([
      { at: 0.5, label: 'latency', for_s: undefined },
      { at: 1.5, label: 'outage', for_s: 0.3 },
    ]);
    expect(ok.stages.map((s) => [s.name, s.start, s.end])).toEqual([
      ['warm', 0, 1],
      ['peak', 1, 2],
    ]);
    expect(ok.sweep?.points.map((p) => p.offered)).toEqual([10, 20]);
    expect(ok.sweep).toMatchObject({ knee: 15, capacity: 18 });
    const data = buildChartData(summary as unknown as Summary, ok);
    const sweep = data.charts.find((c) => c.id === 'sweep');
    expect(sweep?.vlines).toEqual([
      { x: 15, label: 'knee 15' },
      { x: 18, label: 'capacity 18' },
    ]);
    expect(sweep?.series.find((s) => s.scale === 'y2')?.values).toEqual([10, 19]);
    expect(sweep?.xLabel).toBe('offered load (req/s)');
    expect(data.charts.find((c) => c.id === 'telemetry-0')).toMatchObject({ x: [0, 1], group: 'telemetry' });
    expect(data.stages).toHaveLength(2);
    expect(readSections({ stages: 'soon', sweep: { points: [] }, telemetry: 3 })).toEqual({
      stages: [],
      events: [],
      sweep: undefined,
      telemetry: [],
    });
  });
});

describe('marksSpan', () => {
  // Windows at -1..3 s (each plotted at its start), the run measured 3.11 s.
  const summary = { ...baseSummary([-1, 0, 1, 2, 3].map((i) => win(i))), durationS: 3.11 };

  it('reaches the stages and events past the last window’s start, up to the run’s end', () => {
    const sections = readSections({
      stages: [
        { name: 'steady', start: 0, end: 2 },
        { name: 'tail', start: 3.01, end: 3.11 },
      ],
      events: [{ at: 1.5, label: 'outage', for_s: 0.3 }],
    });
    expect(marksSpan(summary, sections)).toEqual([0, 3.11]);
    expect(buildChartData(summary, sections).marksSpan).toEqual([0, 3.11]);
    expect(marksSpan(summary, readSections({ events: [{ at: 2.5, label: 'kill', for_s: 0.2 }] }))).toEqual([
      2.5, 2.7,
    ]);
  });

  it('clips what lies outside the run (a planned stage cut short), none without stages or events', () => {
    const planned = readSections({ stages: [{ name: 'long', start: 0, end: 600 }] });
    expect(marksSpan(summary, planned)).toEqual([0, 3.11]);
    expect(marksSpan(summary, readSections({ events: [{ at: -5, label: 'early' }] }))).toBeUndefined();
    expect(marksSpan(summary, readSections({ events: [{ at: 900, label: 'late' }] }))).toBeUndefined();
    expect(marksSpan(summary, readSections({}))).toBeUndefined();
    expect(buildChartData(summary, readSections({})).marksSpan).toBeUndefined();
  });
});

describe('the checks chart', () => {
  const checks = (jsonPasses: number, jsonFails: number) => ({
    passes: jsonPasses + 10,
    fails: jsonFails,
    rate: (jsonPasses + 10) / (jsonPasses + 10 + jsonFails),
    byCheck: {
      contains: { passes: 10, fails: 0, rate: 1 },
      json: { passes: jsonPasses, fails: jsonFails, rate: jsonPasses / (jsonPasses + jsonFails) },
    },
  });

  it('draws the pass rate per window, all checks and each, with gaps where none ran; merged windows add up', () => {
    const windows = [win(0, { checks: checks(10, 0) }), win(1), win(2, { checks: checks(5, 5) })];
    const summary = { ...baseSummary(windows), checks: checks(15, 5) };
    const chart = buildChartData(summary, readSections({})).charts.find((c) => c.id === 'checks');
    expect(chart?.series.map((s) => [s.label, s.values])).toEqual([
      ['all checks', [1, null, 0.75]],
      ['contains', [1, null, 1]],
      ['json', [1, null, 0.5]],
    ]);
    const merged = downsampleWindows(windows, 1)[0]?.checks;
    expect(merged).toMatchObject({ passes: 35, fails: 5, rate: 0.875 });
    expect(merged?.byCheck.json).toEqual({ passes: 15, fails: 5, rate: 0.75 });
  });

  it('draws none for a run without checks', () => {
    expect(
      buildChartData(baseSummary([win(0)]), readSections({})).charts.some((c) => c.id === 'checks'),
    ).toBe(false);
  });
});
