import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { recordOf } from '../../test/support/records.js';
import { createThresholdSource, evaluateThresholds, type Thresholds } from '../analysis/index.js';
import { RunAggregator } from '../metrics/index.js';
import { renderConsoleSummary } from './console-summary.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { buildSummary, type Summary } from './summary.js';

function summaryWith(thresholds: Thresholds, name = 'ci-demo'): Summary {
  const agg = new RunAggregator();
  for (let i = 0; i < 20; i++) {
    agg.add(
      recordOf({
        id: i,
        iteration: i,
        outcome: i === 19 ? 'error' : 'ok',
        scheduled: i * 10,
        sent: i * 10,
        end: i * 10 + 100,
        ttftMs: 50 + i,
        e2eMs: 100,
        outputTokens: 10,
        ...(i === 19 ? { error: 'http_5xx' as const, status: 503 } : {}),
      }),
    );
  }
  const core = agg.snapshot({ name, startedAt: '2026-01-02T03:04:05.678Z', durationS: 2 });
  return buildSummary(name, core, evaluateThresholds(thresholds, createThresholdSource(agg, core)));
}

const THRESHOLDS: Thresholds = {
  ttft_ms: ['p99 < 2000', 'p50 < 10'],
  error_rate: ['< 0.01', { threshold: '< 0.5', blocking: false }],
  e2e_ms: [{ threshold: 'max < 1', blocking: false }],
};

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]) as Node[];

describe('renderJunit', () => {
  it('is well-formed JUnit: testsuites > testsuite > testcase, failure per failed blocking threshold, counts agree', () => {
    const s = summaryWith(THRESHOLDS, 'a<b & "c"');
    const xml = renderJunit(s);
    expect(XMLValidator.validate(xml)).toBe(true);
    const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' }).parse(xml) as Node;
    const suites = doc.testsuites as Node;
    const suite = asArray(suites.testsuite);
    expect(suite).toHaveLength(1);
    const cases = asArray(suite[0]?.testcase);
    // One test case per threshold, in order, named by metric and expression.
    expect(cases.map((c) => c['@name'])).toEqual(s.thresholds.map((t) => `${t.metric}: ${t.expr}`));
    const failures = cases.filter((c) => c.failure !== undefined);
    const skipped = cases.filter((c) => c.skipped !== undefined);
    // ttft p50 < 10 and error_rate < 0.01 fail and block; e2e max < 1 fails but does not block.
    expect(failures.map((c) => c['@name'])).toEqual(['ttft_ms: p50 < 10', 'error_rate: < 0.01']);
    expect(skipped.map((c) => c['@name'])).toEqual(['e2e_ms: max < 1']);
    for (const el of [suites, suite[0] as Node]) {
      expect(el['@tests']).toBe(String(s.thresholds.length));
      expect(el['@failures']).toBe('2');
      expect(el['@errors']).toBe('0');
      expect(el['@skipped']).toBe('1');
    }
    expect(suite[0]?.['@name']).toBe('tokenstorm: a<b & "c"');
    expect(suite[0]?.['@timestamp']).toBe('2026-01-02T03:04:05.678');
    // The failure carries the observed value.
    const p50 = s.thresholds[1]?.value;
    const failure = failures[0]?.failure as Node;
    expect(failure['@message']).toContain(`observed ${p50}`);
    expect(failure['#text']).toContain('threshold: p50 < 10');
  });

  it('writes an empty suite when there are no thresholds', () => {
    const xml = renderJunit(summaryWith({}));
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).toMatch(/<testsuite [^>]*tests="0" failures="0"/);
  });
});

describe('renderMarkdown', () => {
  it('gives the verdict, key numbers, percentiles, errors and every threshold', () => {
    const s = summaryWith(THRESHOLDS);
    const md = renderMarkdown(s);
    expect(md).toContain('❌ **FAILED** — 2 of 3 blocking threshold(s) failed');
    expect(md).toContain('| 20 | 19 | 1 | 0 | 0 | 5.00% | 10.00 |');
    expect(md).toContain(`| TTFT | ${s.metrics.ttft_ms?.p50.toFixed(2)} |`);
    expect(md).toContain('| http_5xx | 1 |');
    for (const t of s.thresholds) expect(md).toContain(`\`${t.metric}: ${t.expr}\``);
    expect(md).toContain('| ⚠️ | `e2e_ms: max < 1` |');
    expect(renderMarkdown(summaryWith({ ttft_ms: ['p99 < 2000'] }))).toContain(
      '✅ **PASSED** — all 1 blocking threshold(s) passed',
    );
    // Nothing checked: never PASSED, and the figures say what happened.
    const unchecked = renderMarkdown(summaryWith({}));
    expect(unchecked).not.toContain('PASSED');
    expect(unchecked).toContain('⚠️ **NO THRESHOLDS** — 20 requests, 5.00% errors');
  });
});

describe("a run failed by its compare: block's fail_on", () => {
  it('reads FAILED in Markdown and on the console, naming the figures, though every threshold passed', () => {
    const summary = summaryWith({ ttft_ms: ['p99 < 2000'] });
    summary.passed = false;
    summary.compare = {
      baseline: 'rolling',
      status: 'judged',
      baseline_runs: [5, 4, 3, 2, 1],
      fail_on: ['ttft_ms.p99'],
      failed: ['all ttft_ms.p99'],
      verdict: 'regression',
    };
    expect(renderMarkdown(summary)).toContain('❌ **FAILED** — compare.fail_on regressed: all ttft_ms.p99');
    const text = renderConsoleSummary(summary);
    expect(text).toContain('FAILED: compare.fail_on regressed (all ttft_ms.p99)');
    expect(text).not.toContain('PASSED');
  });
});

describe('renderMarkdown cost', () => {
  it('adds one line of cost when the run priced anything, and flags growth with load', async () => {
    const { costSummary } = await import('../analysis/index.js');
    const { priceTableOf } = await import('../metrics/index.js');
    const stages = [
      { name: 'light', startMs: 0, endMs: 1000, target: 1 },
      { name: 'heavy', startMs: 1000, endMs: 2000, target: 8 },
    ];
    const agg = new RunAggregator({ stages });
    for (let i = 0; i < 20; i++) {
      const heavy = i >= 10;
      const at = heavy ? 1000 + i : i;
      agg.add(
        recordOf({
          id: i,
          iteration: i,
          scheduled: at,
          sent: at,
          end: at + 10,
          model: 'm',
          costUsd: heavy ? 0.003 : 0.001,
        }),
      );
    }
    const core = agg.snapshot({ name: 'md', startedAt: '', durationS: 2 });
    const cost = costSummary({ core, prices: priceTableOf({ m: { input: 1, output: 1 } }) });
    const md = renderMarkdown(buildSummary('md', core, [], { cost }));
    expect(md).toContain('Cost: $0.04 ($2.00 per 1,000 requests); cost per request grows with load (×3).');
    expect(renderMarkdown(summaryWith({}))).not.toContain('Cost:');
  });
});
