import {
  agentLines,
  checkLines,
  costLines,
  extraLines,
  type Paint,
  qualityLines,
} from './console-features.js';
import { logicalOf, metricRows, retried, STAT_COLUMNS } from './figures.js';
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

function metricLines(summary: Summary): string[] {
  const rows: string[][] = [['metric', ...STAT_COLUMNS]];
  // Logical latencies equal the attempts' without retries; with them they come first.
  for (const metric of metricRows(retried(summary))) {
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
  if (retried(summary)) {
    // Under retries: the attempts that failed, and the logical requests that ended in each kind.
    const logical = logicalOf(summary).byError;
    const rows = [
      ['', 'attempts', 'logical'],
      ...kinds.map(([kind, n]) => [kind, formatCount(n), formatCount(logical[kind] ?? 0)]),
    ];
    return ['', 'errors by kind', ...renderTable(rows, ['left', 'right', 'right'], '  ')];
  }
  const rows = kinds.map(([kind, n]) => [kind, formatCount(n)]);
  return ['', 'errors by kind', ...renderTable(rows, ['left', 'right'], '  ')];
}

/** Each step's own figures (a chat step and a `GET /models` step are not one distribution). */
function stepLines(summary: Summary): string[] {
  const names = Object.keys(summary.steps ?? {});
  if (names.length < 2) return [];
  const rows: string[][] = [
    ['step', 'requests', 'ok', 'errors', 'ttft p50', 'ttft p95', 'e2e p50', 'e2e p90', 'e2e p95'],
  ];
  for (const name of names) {
    const s = summary.steps[name];
    if (s === undefined) continue;
    const ttft = s.metrics.ttft_ms;
    const e2e = s.metrics.e2e_ms;
    const ms = (v: number | undefined, has: boolean) => (has && v !== undefined ? formatMs(v) : '-');
    rows.push([
      name,
      formatCount(s.counts.requests),
      formatCount(s.counts.ok),
      formatCount(s.counts.errors),
      ms(ttft?.p50, (ttft?.count ?? 0) > 0),
      ms(ttft?.p95, (ttft?.count ?? 0) > 0),
      ms(e2e?.p50, (e2e?.count ?? 0) > 0),
      ms(e2e?.p90, (e2e?.count ?? 0) > 0),
      ms(e2e?.p95, (e2e?.count ?? 0) > 0),
    ]);
  }
  return ['', 'by step', ...renderTable(rows, ['left', ...Array<'right'>(8).fill('right')])];
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

/** Up to five advisory anomalies, with their likely causes; nothing when there are none. */
function anomalyLines(summary: Summary): string[] {
  const anomalies = summary.anomalies ?? [];
  if (anomalies.length === 0) return [];
  const rows = anomalies
    .slice(0, 5)
    .map((a) => [
      a.metric,
      a.kind,
      `${formatValue(a.windows[0])}-${formatValue(a.windows[1])} s`,
      a.metric === 'error_rate' ? `+${formatPercent(a.size)}` : `x${formatValue(a.size)}`,
      a.generator_limited ? 'generator' : 'target',
      a.causes.map((c) => `${c.label} @${formatValue(c.at_s)} s`).join('; '),
    ]);
  const c = summary.anomaly_concordance;
  const more = anomalies.length > 5 ? [`  … ${anomalies.length - 5} more in summary.json`] : [];
  const agree =
    c === undefined
      ? []
      : [`  ${c.agree ? 'agrees' : 'disagrees'} with the thresholds (${c.thresholds_failed} failed)`];
  return [
    '',
    'anomalies (advisory)',
    ...renderTable(rows, ['left', 'left', 'right', 'right', 'left', 'left'], '  '),
    ...more,
    ...agree,
  ];
}

/**
 * Without blocking thresholds nothing was checked: the verdict says so and
 * what happened, in red when most requests failed (the exit code stays 0, as k6's).
 */
function uncheckedVerdict(summary: Summary, paint: Paint): string {
  const l = logicalOf(summary);
  const text = `no thresholds (${formatCount(l.requests)} requests, ${formatPercent(l.error_rate)} errors)`;
  return l.error_rate > 0.5 ? paint(31, `${text}: most requests failed`) : paint(33, text);
}

function verdictWord(summary: Summary, paint: Paint): string {
  if (!summary.thresholds.some((t) => t.blocking) && (summary.compare?.failed.length ?? 0) === 0) {
    return paint(logicalOf(summary).error_rate > 0.5 ? 31 : 33, 'NO THRESHOLDS');
  }
  return summary.passed ? paint(32, 'PASSED') : paint(31, 'FAILED');
}

function verdictLine(summary: Summary, paint: Paint): string {
  if (summary.complete === false)
    return paint(33, `INCOMPLETE: ${summary.incomplete ?? 'the run did not finish'}`);
  const blocking = summary.thresholds.filter((t) => t.blocking);
  const failed = blocking.filter((t) => !t.passed).length;
  const regressed = summary.compare?.failed ?? [];
  if (failed === 0 && regressed.length > 0)
    return paint(31, `FAILED: compare.fail_on regressed (${regressed.join(', ')})`);
  if (blocking.length === 0) return uncheckedVerdict(summary, paint);
  if (failed === 0) return paint(32, `PASSED: all ${blocking.length} blocking threshold(s) passed`);
  return paint(31, `FAILED: ${failed} of ${blocking.length} blocking threshold(s) failed`);
}

export function renderConsoleSummary(summary: Summary, options: ConsoleSummaryOptions = {}): string {
  const paint: Paint =
    options.color === true ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_, t) => t;
  const c = summary.counts;
  const r = summary.rates;
  const l = logicalOf(summary);
  const withRetries = retried(summary);
  const noSlo = summary.slo !== undefined && Object.keys(summary.slo).length === 0;
  const goodputNote = noSlo ? ['goodput (no SLO: every ok request counts)'] : [];
  const lines = [
    `tokenstorm  ${summary.name}  ${summary.complete === false ? paint(33, 'INCOMPLETE') : verdictWord(summary, paint)}`,
    `started ${summary.startedAt}, measured ${summary.durationS.toFixed(1)} s`,
    '',
    ...(withRetries
      ? renderTable(
          [
            ['', 'requests', 'ok', 'errors', 'cancelled', 'dropped', 'error rate', 'goodput/s', 'goodput %'],
            [
              'logical (users)',
              ...[l.requests, l.ok, l.errors, l.cancelled, c.dropped].map(formatCount),
            ].concat(
              formatPercent(l.error_rate),
              formatRate(l.goodput_per_s),
              `${l.goodput_pct.toFixed(2)}%`,
            ),
            ['attempts', ...[c.requests, c.ok, c.errors, c.cancelled, c.dropped].map(formatCount)].concat(
              formatPercent(r.error_rate),
              formatRate(r.goodput_per_s),
              `${r.goodput_pct.toFixed(2)}%`,
            ),
          ],
          ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
        )
      : renderTable(
          [
            ['requests', 'ok', 'errors', 'cancelled', 'dropped', 'error rate'],
            [c.requests, c.ok, c.errors, c.cancelled, c.dropped]
              .map(formatCount)
              .concat(formatPercent(r.error_rate)),
          ],
          ['right', 'right', 'right', 'right', 'right', 'right'],
        )),
    '',
    ...renderTable(
      [
        ['requests/s', 'ok/s', 'output tokens/s', 'input tokens/s', 'goodput/s'],
        [r.requests_per_s, r.ok_per_s, r.output_tokens_per_s, r.input_tokens_per_s, l.goodput_per_s].map(
          formatRate,
        ),
      ],
      ['right', 'right', 'right', 'right', 'right'],
    ),
    ...goodputNote,
    '',
    ...metricLines(summary),
    ...errorLines(summary),
    ...checkLines(summary),
    ...stepLines(summary),
    ...agentLines(summary),
    ...scenarioLines(summary),
    ...costLines(summary, paint),
    ...tokenWarning(summary, paint),
    ...qualityLines(summary),
    ...thresholdLines(summary, paint),
    ...anomalyLines(summary),
    ...extraLines(summary),
    '',
    verdictLine(summary, paint),
  ];
  return `${lines.join('\n')}\n`;
}
