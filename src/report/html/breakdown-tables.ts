/**
 * @module report/html/breakdown-tables
 * The run's requests broken down: percentiles by metric, errors by kind,
 * each step and scenario, the slowest requests and the token accounting.
 * Every number sits in an element with `data-metric="<path in
 * summary.json>"` and its raw value in `data-value`.
 * Why apart: the tables a reader digs into after the headline, one row shape
 * (`groupRow`) shared by steps, scenarios and stages.
 */
import { metricRows, STAT_COLUMNS } from '../figures.js';
import { escapeHtml } from '../html-escape.js';
import { formatCount, formatMs, formatRate, formatStatValue, formatValue } from '../number-format.js';
import type { Summary } from '../summary.js';
import { numCell, table } from './cells.js';

/** Percentiles of every metric; the logical latencies first under retries, left out without (they equal the attempts'). */
export function metricsTable(metrics: Summary['metrics'], withRetries = false): string {
  const rows = metricRows(withRetries).flatMap((name) => {
    const stats = metrics[name];
    if (stats === undefined) return [];
    const cells = STAT_COLUMNS.map((stat) =>
      numCell(
        `${name}.${stat}`,
        stats[stat],
        stat === 'count' ? formatCount(stats.count) : formatStatValue(name, stat, stats[stat]),
      ),
    );
    return [`<tr><td>${escapeHtml(name)}</td>${cells.join('')}</tr>`];
  });
  return table(['metric', ...STAT_COLUMNS], rows);
}

export function errorsTable(s: Summary): string {
  const kinds = Object.entries(s.counts.byError);
  if (kinds.length === 0) return '<p class="muted">No errors.</p>';
  const rows = kinds.map(
    ([kind, n]) =>
      `<tr><td>${escapeHtml(kind)}</td>${numCell(`counts.byError.${kind}`, n, formatCount(n))}</tr>`,
  );
  return table(['kind', 'count'], rows);
}

/** A latency percentile of a group (scenario, step or stage) as a cell, 0 when it has none. */
export function latencyCell(
  prefix: string,
  g: Pick<Summary, 'metrics'>,
  metric: 'ttft_ms' | 'e2e_ms',
  stat: 'p50' | 'p90' | 'p95' | 'p99',
): string {
  const v = g.metrics[metric]?.[stat] ?? 0;
  return numCell(`${prefix}metrics.${metric}.${stat}`, v, formatMs(v));
}

/** One row of a scenario, step or stage: counts, rates and latency percentiles. */
export function groupRow(
  label: string,
  prefix: string,
  g: Pick<Summary, 'counts' | 'metrics' | 'rates'>,
  lead = '',
): string {
  const q = (metric: 'ttft_ms' | 'e2e_ms', stat: 'p50' | 'p95' | 'p99') =>
    latencyCell(prefix, g, metric, stat);
  return (
    `<tr><td>${escapeHtml(label)}</td>${lead}` +
    numCell(`${prefix}counts.requests`, g.counts.requests, formatCount(g.counts.requests)) +
    numCell(`${prefix}counts.ok`, g.counts.ok, formatCount(g.counts.ok)) +
    numCell(`${prefix}counts.errors`, g.counts.errors, formatCount(g.counts.errors)) +
    numCell(`${prefix}counts.cancelled`, g.counts.cancelled, formatCount(g.counts.cancelled)) +
    numCell(`${prefix}rates.requests_per_s`, g.rates.requests_per_s, formatRate(g.rates.requests_per_s)) +
    numCell(
      `${prefix}rates.goodput_per_s`,
      g.rates.goodput_per_s ?? 0,
      formatRate(g.rates.goodput_per_s ?? 0),
    ) +
    q('ttft_ms', 'p50') +
    q('ttft_ms', 'p95') +
    q('ttft_ms', 'p99') +
    q('e2e_ms', 'p95') +
    '</tr>'
  );
}

export const GROUP_HEAD = [
  'requests',
  'ok',
  'errors',
  'cancelled',
  'req/s',
  'goodput/s',
  'TTFT p50',
  'TTFT p95',
  'TTFT p99',
  'E2E p95',
];

/** Each step's own figures, by step name (across scenarios). */
export function stepsTable(s: Summary): string {
  const names = Object.keys(s.steps ?? {});
  if (names.length === 0) return '<p class="muted">No steps recorded.</p>';
  const rows = names.flatMap((name) => {
    const st = s.steps[name];
    if (st === undefined) return [];
    const e2e = (stat: 'p50' | 'p90') => latencyCell(`steps.${name}.`, st, 'e2e_ms', stat);
    const row = groupRow(name, `steps.${name}.`, st, `<td class="text">${escapeHtml(st.kind)}</td>`);
    return [row.replace(/<\/tr>$/, `${e2e('p50')}${e2e('p90')}</tr>`)];
  });
  return table(['step', 'kind', ...GROUP_HEAD, 'E2E p50', 'E2E p90'], rows);
}

export function scenariosTable(s: Summary): string {
  const names = Object.keys(s.scenarios);
  if (names.length === 0) return '<p class="muted">No scenarios recorded.</p>';
  const rows = names.flatMap((name) => {
    const sc = s.scenarios[name];
    return sc === undefined ? [] : [groupRow(name, `scenarios.${name}.`, sc)];
  });
  return table(['scenario', ...GROUP_HEAD], rows);
}

export function slowestTable(s: Summary): string {
  if (s.slowest.length === 0) return '<p class="muted">No requests recorded.</p>';
  const opt = (v: number | undefined) => (v === undefined ? '' : escapeHtml(formatValue(v)));
  const rows = s.slowest.map(
    (r, i) =>
      `<tr><td>${escapeHtml(r.scenario)}</td><td class="text">${escapeHtml(`${r.turn === undefined ? '' : `turn ${r.turn} · `}step ${r.step} ${r.stepName}`)}</td>` +
      `<td>${r.vu}/${r.iteration}</td><td>${escapeHtml(formatValue(r.sent_s))}</td>` +
      numCell(`slowest.${i}.duration_ms`, r.duration_ms, formatMs(r.duration_ms)) +
      `<td>${opt(r.ttft_ms)}</td><td>${opt(r.input_tokens)}</td><td>${opt(r.output_tokens)}</td>` +
      `<td class="text">${escapeHtml(r.outcome === 'ok' ? 'ok' : `${r.outcome}${r.error === undefined ? '' : `: ${r.error}`}${r.status === undefined ? '' : ` (${r.status})`}`)}</td></tr>`,
  );
  return table(
    [
      'scenario',
      'turn · step',
      'vu/iteration',
      'sent at (s)',
      'duration (ms)',
      'TTFT (ms)',
      'input tokens',
      'output tokens',
      'outcome',
    ],
    rows,
  );
}

export function tokensTable(s: Summary): string {
  const t = s.tokens;
  const warning =
    t.mismatched_requests > 0
      ? `<p class="warn" data-metric="tokens.mismatched_requests" data-value="${t.mismatched_requests}">` +
        `Server usage and client tokenizer disagree on ${escapeHtml(formatCount(t.mismatched_requests))} request(s).</p>`
      : '';
  const row = (label: string, key: keyof typeof t) =>
    `<tr><td>${label}</td>${numCell(`tokens.${key}`, t[key], formatCount(t[key]))}</tr>`;
  return (
    warning +
    table(
      ['tokens', 'total'],
      [
        row('output (server)', 'output_server'),
        row('output (client)', 'output_client'),
        row('input (server)', 'input_server'),
        row('input (client)', 'input_client'),
      ],
    )
  );
}
