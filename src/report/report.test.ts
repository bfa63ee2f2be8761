import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import { createThresholdSource, evaluateThresholds, type Thresholds } from '../analysis/index.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from '../metrics/index.js';
import { renderConsoleSummary } from './console-summary.js';
import { renderHtmlReport } from './html/index.js';
import { formatMs } from './number-format.js';
import { buildSummary, type Summary } from './summary.js';

function rec(over: Partial<RequestRecord>): RequestRecord {
  return recordOf({
    schedulingLagMs: 0.25,
    ttfbMs: 30,
    ttftMs: 120.5,
    e2eMs: 900,
    tpotMs: 12,
    itlMs: [10, 14],
    outputTokens: 64,
    outputTokensClient: 64,
    ...over,
  });
}

function makeSummary(scenario = 'chat', thresholds: Thresholds = { ttft_ms: ['p99 < 2000'] }): Summary {
  const agg = new RunAggregator();
  for (let i = 0; i < 50; i++) agg.add(rec({ scenario, end: i * 100, ttftMs: 100 + i }));
  agg.add(rec({ scenario, end: 2500, outcome: 'error', error: 'http_5xx' }));
  agg.add(rec({ scenario, end: 2600, outcome: 'cancelled' }));
  agg.add(rec({ scenario: 'other', kind: 'http', end: 2700, outputTokens: 66 }));
  agg.add(rec({ scenario, end: 2800, outputTokens: 60, outputTokensClient: 61 }));
  agg.addDropped(3000, 2);
  const core = agg.snapshot({ name: 'demo', startedAt: '2025-01-01T00:00:00.000Z', durationS: 5 });
  return buildSummary('demo', core, evaluateThresholds(thresholds, createThresholdSource(agg, core)));
}

describe('buildSummary', () => {
  it('puts the DESIGN.md §1 keys first and derives passed from blocking thresholds', () => {
    const s = makeSummary();
    expect(Object.keys(s)).toEqual([
      'schema',
      'name',
      'passed',
      'startedAt',
      'durationS',
      'counts',
      'metrics',
      'rates',
      'thresholds',
      'scenarios',
      'tokens',
      'windows',
      'logical',
      'steps',
      'slo',
      'distributions',
      'slowest',
    ]);
    expect(s.schema).toBe('tokenstorm.summary/v1');
    expect(s.passed).toBe(true);
    expect(makeSummary('chat', { ttft_ms: ['p99 < 1'] }).passed).toBe(false);
    expect(makeSummary('chat', { ttft_ms: [{ threshold: 'p99 < 1', blocking: false }] }).passed).toBe(true);
  });
});

describe('renderConsoleSummary', () => {
  it('shows counts, rates, percentiles, errors, thresholds and the token warning', () => {
    const s = makeSummary('chat', { ttft_ms: ['p99 < 2000', 'p50 < 1'], error_rate: ['< 0.5'] });
    const text = renderConsoleSummary(s);
    const ttft = s.metrics.ttft_ms;
    if (ttft === undefined) throw new Error('no ttft');
    for (const v of [ttft.p50, ttft.p90, ttft.p95, ttft.p99, ttft.max, ttft.mean]) {
      expect(text).toContain(formatMs(v));
    }
    expect(text).toMatch(/ttft_ms\s+51\s/);
    expect(text).toMatch(/requests\s+ok\s+errors\s+cancelled\s+dropped/);
    expect(text).toMatch(/\s54\s+52\s+1\s+1\s+2\s/);
    expect(text).toContain(s.rates.requests_per_s.toFixed(2));
    expect(text).toContain(s.rates.output_tokens_per_s.toFixed(2));
    expect(text).toMatch(/http_5xx\s+1/);
    expect(text).toMatch(/✓ {2}ttft_ms\s+p99 < 2000/);
    expect(text).toMatch(/✗ {2}ttft_ms\s+p50 < 1/);
    expect(text).toContain('token counts differ');
    expect(text).toContain('FAILED: 1 of 3 blocking threshold(s) failed');
    expect(text).not.toContain('\u001b[');
    expect(renderConsoleSummary(s, { color: true })).toContain('\u001b[31m');
  });

  it('aligns the metric table columns', () => {
    const lines = renderConsoleSummary(makeSummary()).split('\n');
    const header = lines.findIndex((l) => l.startsWith('metric'));
    const table = lines.slice(header, header + 5);
    expect(new Set(table.map((l) => l.length)).size).toBe(1);
  });
});

describe('renderHtmlReport', () => {
  it('escapes strings and loads nothing from the network', () => {
    const evil = '<script>alert("x")</script>';
    const summary = makeSummary(evil, { [`ttft_ms{scenario:${evil}}`]: ['p99 < 2000'] });
    // A stage name reaches the embedded chart JSON as well as the tables.
    const html = renderHtmlReport({ ...summary, stages: [{ name: evil, start: 0, end: 1 }] } as Summary);
    // Only the three script elements of our own: the data, uPlot and the drawing script.
    expect(html.match(/<script/g)).toHaveLength(3);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    // In the embedded JSON the name cannot close the script element either.
    expect(html).toContain('\\u003cscript>alert');
    expect(html).not.toMatch(/\s(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).toContain("default-src 'none'");
    expect(html).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+' 'sha256-[A-Za-z0-9+/=]+'/);
  });

  it('carries the verdict, thresholds and key numbers in data-metric elements', () => {
    const s = makeSummary();
    const html = renderHtmlReport(s);
    const value = (metric: string) =>
      new RegExp(`data-metric="${metric.replace(/[.]/g, '\\.')}" data-value="([^"]*)"`).exec(html)?.[1];
    expect(value('passed')).toBe('true');
    expect(value('counts.requests')).toBe('54');
    expect(value('counts.dropped')).toBe('2');
    expect(value('ttft_ms.p50')).toBe(String(s.metrics.ttft_ms?.p50));
    expect(value('e2e_ms.p99')).toBe(String(s.metrics.e2e_ms?.p99));
    expect(value('rates.requests_per_s')).toBe(String(s.rates.requests_per_s));
    expect(value('thresholds.0.value')).toBe(String(s.thresholds[0]?.value));
    expect(value('counts.byError.http_5xx')).toBe('1');
    expect(value('scenarios.other.counts.requests')).toBe('1');
    expect(value('tokens.mismatched_requests')).toBe('1');
    expect(html).toContain('p99 &lt; 2000');
    for (const id of ['rate', 'ttft', 'itl', 'e2e', 'tokens', 'errors', 'lag']) {
      expect(html).toContain(`data-chart="${id}"`);
    }
  });
});

describe('anomalies in the console and the report', () => {
  const anomaly = {
    metric: 'e2e_ms.p99',
    windows: [2, 4] as [number, number],
    kind: 'spike' as const,
    size: 5.5,
    baseline: 90,
    peak: 495,
    causes: [{ type: 'event' as const, label: 'slow <tail>', at_s: 2.01 }],
    generator_limited: false,
  };
  const withAnomaly = (): Summary => ({
    ...makeSummary(),
    anomalies: [anomaly],
    anomaly_concordance: {
      anomalies: 1,
      generator_limited: 0,
      thresholds: 1,
      thresholds_failed: 0,
      agree: false,
    },
  });

  it('lists them under the thresholds, with their causes and the concordance', () => {
    const text = renderConsoleSummary(withAnomaly());
    expect(text).toContain('anomalies (advisory)');
    expect(text).toMatch(/e2e_ms\.p99\s+spike\s+2-4 s\s+x5\.50\s+target\s+slow <tail> @2\.01 s/);
    expect(text).toContain('disagrees with the thresholds (0 failed)');
    // Nothing when there are none.
    expect(renderConsoleSummary(makeSummary())).not.toContain('anomalies');
  });

  it('tables them (escaped) and shades their windows on the chart of their metric', () => {
    const html = renderHtmlReport(withAnomaly());
    expect(html).toContain('<h2>Anomalies</h2>');
    expect(html).toContain('data-metric="anomalies.0.size" data-value="5.5"');
    expect(html).toContain('event: slow &lt;tail&gt; (2.01 s)');
    expect(html).toContain('data-agree="false"');
    expect(html).toContain('data-metric="anomaly_concordance.anomalies" data-value="1"');
    const data = JSON.parse(
      /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}',
    ) as { charts: { id: string; spans?: unknown[] }[] };
    expect(data.charts.find((c) => c.id === 'e2e')?.spans).toEqual([
      { from: 2, to: 4, label: 'e2e_ms.p99 spike' },
    ]);
    expect(data.charts.find((c) => c.id === 'ttft')?.spans).toBeUndefined();
  });
});
