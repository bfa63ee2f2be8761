import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { createThresholdSource, evaluateThresholds, type Thresholds } from '../analysis/index.js';
import type { RequestRecord } from '../core/index.js';
import { RunAggregator } from '../metrics/index.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { buildSummary, type Summary } from './summary.js';

function summaryWith(thresholds: Thresholds, name = 'ci-demo'): Summary {
  const agg = new RunAggregator();
  for (let i = 0; i < 20; i++) {
    const r: RequestRecord = {
      id: i,
      scenario: 'chat',
      step: 0,
      stepName: 'chat',
      kind: 'chat',
      vu: 1,
      iteration: i,
      outcome: i === 19 ? 'error' : 'ok',
      scheduled: i * 10,
      sent: i * 10,
      end: i * 10 + 100,
      schedulingLagMs: 0,
      ttftMs: 50 + i,
      e2eMs: 100,
      outputTokens: 10,
      ...(i === 19 ? { error: 'http_5xx' as const, status: 503 } : {}),
    };
    agg.add(r);
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
