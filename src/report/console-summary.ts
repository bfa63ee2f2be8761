/**
 * @module report/console-summary
 * The end-of-run summary printed to the terminal: verdict, counts, rates,
 * latency percentiles, errors by kind, scenarios and thresholds.
 */
import { METRIC_NAMES, type MetricStats } from '../metrics/index.js';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatStatValue,
  formatValue,
} from './number-format.js';
import type { Summary } from './summary.js';
import { renderTable } from './text-table.js';

export interface ConsoleSummaryOptions {
  /** ANSI colours; pass `process.stdout.isTTY` (default false: plain text). */
  color?: boolean;
}

type Paint = (code: number, text: string) => string;

const STAT_COLUMNS: readonly (keyof MetricStats)[] = ['count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];

function metricLines(summary: Summary): string[] {
  const rows: string[][] = [['metric', ...STAT_COLUMNS]];
  for (const metric of METRIC_NAMES) {
    const stats = summary.metrics[metric];
    if (stats === undefined) continue;
    rows.push([
      metric,
      ...STAT_COLUMNS.map((stat) =>
        stat === 'count' ? formatCount(stats.count) : formatStatValue(metric, stat, stats[stat]),
      ),
    ]);
  }
  return renderTable(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right']);
}

function errorLines(summary: Summary): string[] {
  const kinds = Object.entries(summary.counts.byError);
  if (kinds.length === 0) return [];
  const rows = kinds.map(([kind, n]) => [kind, formatCount(n)]);
  return ['', 'errors by kind', ...renderTable(rows, ['left', 'right'], '  ')];
}

function scenarioLines(summary: Summary): string[] {
  const names = Object.keys(summary.scenarios);
  if (names.length < 2) return [];
  const rows: string[][] = [['scenario', 'requests', 'ok', 'errors', 'req/s', 'ttft p95', 'e2e p95']];
  for (const name of names) {
    const s = summary.scenarios[name];
    if (s === undefined) continue;
    rows.push([
      name,
      formatCount(s.counts.requests),
      formatCount(s.counts.ok),
      formatCount(s.counts.errors),
      formatRate(s.rates.requests_per_s),
      formatMs(s.metrics.ttft_ms?.p95 ?? 0),
      formatMs(s.metrics.e2e_ms?.p95 ?? 0),
    ]);
  }
  return ['', ...renderTable(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'])];
}

function tokenWarning(summary: Summary, paint: Paint): string[] {
  const t = summary.tokens;
  if (t.mismatched_requests === 0) return [];
  const text =
    `! token counts differ: server usage and client tokenizer disagree on ${formatCount(t.mismatched_requests)} ` +
    `request(s) (output tokens: server ${formatCount(t.output_server)}, client ${formatCount(t.output_client)})`;
  return ['', paint(33, text)];
}

function thresholdLines(summary: Summary, paint: Paint): string[] {
  if (summary.thresholds.length === 0) return [];
  const rows = summary.thresholds.map((t) => [
    t.passed ? paint(32, '✓') : paint(31, '✗'),
    t.metric,
    t.expr,
    formatValue(t.value),
    [t.blocking ? '' : '(non-blocking)', t.note ?? ''].filter((s) => s !== '').join(' '),
  ]);
  return ['', 'thresholds', ...renderTable(rows, ['left', 'left', 'left', 'right', 'left'], '  ')];
}

function verdictLine(summary: Summary, paint: Paint): string {
  if (summary.complete === false)
    return paint(33, `INCOMPLETE: ${summary.incomplete ?? 'the run did not finish'}`);
  const blocking = summary.thresholds.filter((t) => t.blocking);
  const failed = blocking.filter((t) => !t.passed).length;
  if (blocking.length === 0) return paint(32, 'PASSED (no blocking thresholds)');
  if (failed === 0) return paint(32, `PASSED: all ${blocking.length} blocking threshold(s) passed`);
  return paint(31, `FAILED: ${failed} of ${blocking.length} blocking threshold(s) failed`);
}

/** The end-of-run table, aligned for a plain terminal. */
export function renderConsoleSummary(summary: Summary, options: ConsoleSummaryOptions = {}): string {
  const paint: Paint =
    options.color === true ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_, t) => t;
  const c = summary.counts;
  const r = summary.rates;
  const lines = [
    `tokenstorm  ${summary.name}  ${summary.complete === false ? paint(33, 'INCOMPLETE') : summary.passed ? paint(32, 'PASSED') : paint(31, 'FAILED')}`,
    `started ${summary.startedAt}, measured ${summary.durationS.toFixed(1)} s`,
    '',
    ...renderTable(
      [
        ['requests', 'ok', 'errors', 'cancelled', 'dropped', 'error rate'],
        [c.requests, c.ok, c.errors, c.cancelled, c.dropped]
          .map(formatCount)
          .concat(formatPercent(r.error_rate)),
      ],
      ['right', 'right', 'right', 'right', 'right', 'right'],
    ),
    '',
    ...renderTable(
      [
        ['requests/s', 'ok/s', 'output tokens/s', 'input tokens/s', 'goodput/s'],
        [r.requests_per_s, r.ok_per_s, r.output_tokens_per_s, r.input_tokens_per_s, r.goodput_per_s].map(
          formatRate,
        ),
      ],
      ['right', 'right', 'right', 'right', 'right'],
    ),
    '',
    ...metricLines(summary),
    ...errorLines(summary),
    ...scenarioLines(summary),
    ...tokenWarning(summary, paint),
    ...thresholdLines(summary, paint),
    '',
    verdictLine(summary, paint),
  ];
  return `${lines.join('\n')}\n`;
}
