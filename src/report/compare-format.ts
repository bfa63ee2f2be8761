/**
 * @module report/compare-format
 * `tokenstorm compare` output: a console table and Markdown (a PR comment),
 * one row per compared figure with its delta, CI and verdict; regressions first.
 */
import type { CompareRow, Comparison } from '../analysis/compare.js';
import { renderTable } from './text-table.js';

function num(v: number): string {
  if (!Number.isFinite(v)) return '-';
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.1 ? v.toFixed(2) : v.toFixed(4);
}

function signed(v: number): string {
  return Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${num(v)}` : '-';
}

function value(row: CompareRow, v: number): string {
  if (row.metric === 'error_rate') return Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : '-';
  if (row.metric === 'goodput_pct') return Number.isFinite(v) ? `${v.toFixed(2)}%` : '-';
  return num(v);
}

function delta(row: CompareRow): string {
  if (row.metric === 'error_rate') return `${signed(row.delta * 100)} pt`;
  if (row.metric === 'goodput_pct') return `${signed(row.delta)} pt`;
  return row.relative === null ? signed(row.delta) : `${signed(row.relative * 100)}%`;
}

function ci(row: CompareRow): string {
  if (!row.ci) return '-';
  const scale = row.metric === 'error_rate' ? 100 : 1;
  return `[${signed(row.ci.low * scale)}, ${signed(row.ci.high * scale)}]`;
}

function figure(row: CompareRow): string {
  return row.stat === 'value' ? row.metric : `${row.metric} ${row.stat}`;
}

const ORDER: Record<string, number> = {
  regression: 0,
  improvement: 1,
  'no significant change': 2,
  'insufficient data': 3,
};

function sorted(rows: readonly CompareRow[]): CompareRow[] {
  return [...rows].sort((a, b) => (ORDER[a.verdict] ?? 9) - (ORDER[b.verdict] ?? 9));
}

function heading(c: Comparison): string {
  const base =
    c.mode === 'single'
      ? c.baseline[0]
      : `rolling baseline of ${c.baseline.length} runs (median ± ${c.options.k.toFixed(1)} × their spread)`;
  return `${c.candidate} vs ${base}`;
}

export function renderCompareConsole(c: Comparison): string {
  const header = [
    'scenario',
    'figure',
    'baseline',
    'candidate',
    'delta',
    `CI ${c.options.confidence * 100}%`,
    'verdict',
  ];
  const rows = sorted(c.rows).map((r) => [
    r.scenario,
    figure(r),
    value(r, r.baseline),
    value(r, r.candidate),
    delta(r),
    ci(r),
    r.verdict,
  ]);
  const lines = renderTable([header, ...rows], ['left', 'left', 'right', 'right', 'right', 'right', 'left']);
  const warnings = c.warnings.map((w) => `warning: ${w}`);
  return [
    `compare: ${heading(c)}`,
    '',
    ...lines,
    '',
    ...warnings,
    `verdict: ${c.verdict.toUpperCase()}`,
  ].join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderCompareMarkdown(c: Comparison): string {
  const icon = c.verdict === 'regression' ? '❌' : c.verdict === 'improvement' ? '✅' : '➖';
  const out = [
    `## tokenstorm compare: ${icon} ${c.verdict}`,
    '',
    `${cell(heading(c))}`,
    '',
    `| scenario | figure | baseline | candidate | delta | CI ${c.options.confidence * 100}% | verdict |`,
    '|---|---|---:|---:|---:|---:|---|',
  ];
  for (const r of sorted(c.rows)) {
    const verdict = r.verdict === 'regression' ? '**regression**' : r.verdict;
    out.push(
      `| ${cell(r.scenario)} | ${figure(r)} | ${value(r, r.baseline)} | ${value(r, r.candidate)} | ${delta(r)} | ${ci(r)} | ${verdict} |`,
    );
  }
  for (const w of c.warnings) out.push('', `> ⚠️ ${cell(w)}`);
  out.push(
    '',
    c.mode === 'single'
      ? 'A regression needs a CI that excludes 0, a significant distribution test and a change beyond the band (p50 ±10%, p90/p95 ±15%, p99 ±20% by default).'
      : 'A regression is beyond where one more run of the baseline’s build could fall, given the baseline runs’ own spread (and at least the band), with a CI that excludes their median.',
  );
  return `${out.join('\n')}\n`;
}
