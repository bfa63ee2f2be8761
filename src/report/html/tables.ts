/**
 * @module report/html/tables
 * The report's numbers as HTML: verdict, thresholds, key numbers, metric
 * percentiles, errors, scenarios, stages, slowest requests, tokens. Every
 * number sits in an element with `data-metric="<path in summary.json>"` and
 * its raw value in `data-value`, so a browser test can compare them.
 */
import { METRIC_NAMES, type MetricStats } from '../../metrics/index.js';
import { escapeHtml } from '../html-escape.js';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatStatValue,
  formatValue,
} from '../number-format.js';
import type { Summary } from '../summary.js';
import type { ReportSections, SweepCurve } from './sections.js';

const STAT_COLUMNS: readonly (keyof MetricStats)[] = ['count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];

/** A cell holding a number: formatted text, the raw value in `data-value`. */
function numCell(metric: string, value: number, text: string, tag = 'td', cls = ''): string {
  const attrs = `${cls === '' ? '' : ` class="${cls}"`} data-metric="${escapeHtml(metric)}" data-value="${escapeHtml(value)}"`;
  return `<${tag}${attrs}>${escapeHtml(text)}</${tag}>`;
}

function card(label: string, metric: string, value: number, text: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div>${numCell(metric, value, text, 'div', 'num')}</div>`;
}

function table(head: readonly string[], rows: readonly string[]): string {
  const th = head.map((h, i) => `<th${i === 0 ? '' : ' class="num"'}>${escapeHtml(h)}</th>`).join('');
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

export function verdictBlock(s: Summary): string {
  if (s.complete === false) {
    return (
      `<p><span class="verdict fail" data-metric="passed" data-value="false">INCOMPLETE</span> ` +
      `<span class="muted">${escapeHtml(s.incomplete ?? 'the run did not finish')}</span></p>`
    );
  }
  const blocking = s.thresholds.filter((t) => t.blocking);
  const failed = blocking.filter((t) => !t.passed).length;
  const detail =
    blocking.length === 0
      ? 'no blocking thresholds'
      : failed === 0
        ? `all ${blocking.length} blocking threshold(s) passed`
        : `${failed} of ${blocking.length} blocking threshold(s) failed`;
  return (
    `<p><span class="verdict ${s.passed ? 'pass' : 'fail'}" data-metric="passed" data-value="${s.passed}">` +
    `${s.passed ? 'PASSED' : 'FAILED'}</span> <span class="muted">${escapeHtml(detail)}</span></p>`
  );
}

export function thresholdsTable(s: Summary): string {
  if (s.thresholds.length === 0) return '<p class="muted">No thresholds were set.</p>';
  const rows = s.thresholds.map((t, i) => {
    const mark = t.passed ? '<span class="ok">✓ pass</span>' : '<span class="bad">✗ fail</span>';
    const value =
      t.value === null
        ? `<td data-metric="thresholds.${i}.value" data-value="">n/a</td>`
        : numCell(`thresholds.${i}.value`, t.value, formatValue(t.value));
    return (
      `<tr data-threshold="${i}" data-passed="${t.passed}"><td>${mark}</td><td class="text">${escapeHtml(t.metric)}</td>` +
      `<td class="text">${escapeHtml(t.expr)}</td>${value}<td class="text">${t.blocking ? 'blocking' : 'non-blocking'}</td>` +
      `<td class="text muted">${escapeHtml(t.note ?? '')}</td></tr>`
    );
  });
  return table(['result', 'metric', 'threshold', 'value', 'kind', 'note'], rows);
}

export function keyNumbers(s: Summary): string {
  const c = s.counts;
  const r = s.rates;
  const m = s.metrics;
  const ms = (
    name: 'ttft_ms' | 'itl_ms' | 'tpot_ms' | 'e2e_ms',
    stat: 'p50' | 'p95' | 'p99',
    label: string,
  ) => card(label, `${name}.${stat}`, m[name]?.[stat] ?? 0, `${formatMs(m[name]?.[stat] ?? 0)} ms`);
  return `<div class="cards">${[
    card('requests', 'counts.requests', c.requests, formatCount(c.requests)),
    card('ok', 'counts.ok', c.ok, formatCount(c.ok)),
    card('errors', 'counts.errors', c.errors, formatCount(c.errors)),
    card('cancelled', 'counts.cancelled', c.cancelled, formatCount(c.cancelled)),
    card('dropped', 'counts.dropped', c.dropped, formatCount(c.dropped)),
    card('error rate', 'rates.error_rate', r.error_rate, formatPercent(r.error_rate)),
    card('requests/s', 'rates.requests_per_s', r.requests_per_s, formatRate(r.requests_per_s)),
    card(
      'output tokens/s',
      'rates.output_tokens_per_s',
      r.output_tokens_per_s,
      formatRate(r.output_tokens_per_s),
    ),
    card('goodput/s', 'rates.goodput_per_s', r.goodput_per_s, formatRate(r.goodput_per_s)),
    ms('ttft_ms', 'p50', 'TTFT p50'),
    ms('ttft_ms', 'p95', 'TTFT p95'),
    ms('ttft_ms', 'p99', 'TTFT p99'),
    ms('itl_ms', 'p50', 'ITL p50'),
    ms('itl_ms', 'p95', 'ITL p95'),
    ms('tpot_ms', 'p50', 'TPOT p50'),
    ms('tpot_ms', 'p95', 'TPOT p95'),
    ms('e2e_ms', 'p50', 'E2E p50'),
    ms('e2e_ms', 'p95', 'E2E p95'),
  ].join('')}</div>`;
}

export function metricsTable(metrics: Summary['metrics']): string {
  const rows = METRIC_NAMES.flatMap((name) => {
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

/** One row of a scenario or stage: counts, rate and latency percentiles. */
function groupRow(
  label: string,
  prefix: string,
  g: Pick<Summary, 'counts' | 'metrics' | 'rates'>,
  lead = '',
): string {
  const q = (metric: 'ttft_ms' | 'e2e_ms', stat: 'p50' | 'p95' | 'p99') => {
    const v = g.metrics[metric]?.[stat] ?? 0;
    return numCell(`${prefix}metrics.${metric}.${stat}`, v, formatMs(v));
  };
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

const GROUP_HEAD = [
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

export function scenariosTable(s: Summary): string {
  const names = Object.keys(s.scenarios);
  if (names.length === 0) return '<p class="muted">No scenarios recorded.</p>';
  const rows = names.flatMap((name) => {
    const sc = s.scenarios[name];
    return sc === undefined ? [] : [groupRow(name, `scenarios.${name}.`, sc)];
  });
  return table(['scenario', ...GROUP_HEAD], rows);
}

function isGroup(
  stage: ReportSections['stages'][number],
): stage is ReportSections['stages'][number] & Pick<Summary, 'counts' | 'metrics' | 'rates'> {
  const c = stage.counts as Record<string, unknown> | undefined;
  return typeof c?.requests === 'number' && stage.rates !== undefined && stage.metrics !== undefined;
}

export function stagesTable(sections: ReportSections): string {
  if (sections.stages.length === 0) return '';
  const span = (st: ReportSections['stages'][number], i: number) =>
    numCell(`stages.${i}.start`, st.start, `${formatValue(st.start)} s`) +
    numCell(`stages.${i}.end`, st.end, `${formatValue(st.end)} s`);
  // Per-stage statistics when every stage has them (a staged load), else just the spans.
  if (sections.stages.every(isGroup)) {
    return table(
      ['stage', 'start', 'end', ...GROUP_HEAD],
      sections.stages.map((st, i) => (isGroup(st) ? groupRow(st.name, `stages.${i}.`, st, span(st, i)) : '')),
    );
  }
  return table(
    ['stage', 'start', 'end'],
    sections.stages.map((st, i) => `<tr><td>${escapeHtml(st.name)}</td>${span(st, i)}</tr>`),
  );
}

export function eventsTable(sections: ReportSections): string {
  if (sections.events.length === 0) return '';
  const rows = sections.events.map(
    (e, i) =>
      `<tr><td>${escapeHtml(e.label)}</td>${numCell(`events.${i}.at`, e.at, `${formatValue(e.at)} s`)}<td>${e.for_s === undefined ? '' : `${escapeHtml(formatValue(e.for_s))} s`}</td></tr>`,
  );
  return table(['event', 'at', 'lasting'], rows);
}

export function sweepTable(sweep: SweepCurve | undefined): string {
  if (sweep === undefined) return '';
  const marks = [
    sweep.degradedFirst === undefined
      ? ''
      : `degraded first: <strong>${escapeHtml(sweep.degradedFirst)}</strong>`,
    sweep.capacity === undefined
      ? ''
      : `capacity <strong data-metric="sweep.capacity" data-value="${sweep.capacity}">${escapeHtml(formatValue(sweep.capacity))} ${escapeHtml(sweep.unit)}</strong>`,
    sweep.knee === undefined
      ? ''
      : `knee <strong data-metric="sweep.knee" data-value="${sweep.knee}">${escapeHtml(formatValue(sweep.knee))} ${escapeHtml(sweep.unit)}</strong>`,
  ].filter((m) => m !== '');
  const cell = (v: number | undefined) => `<td>${v === undefined ? '' : escapeHtml(formatValue(v))}</td>`;
  const rows = sweep.points.map(
    (p) =>
      `<tr><td>${escapeHtml(formatValue(p.offered))}</td>${cell(p.achieved)}${cell(p.goodput)}${cell(p.ttft?.p50)}${cell(p.ttft?.p90 ?? p.ttft?.p95)}${cell(p.ttft?.p99)}${cell(p.e2e?.p90 ?? p.e2e?.p95)}${cell(p.errorRate)}</tr>`,
  );
  return (
    (marks.length > 0 ? `<p>${marks.join(' · ')}</p>` : '') +
    table(
      ['offered', 'achieved', 'goodput', 'TTFT p50', 'TTFT p90/p95', 'TTFT p99', 'E2E p90/p95', 'error rate'],
      rows,
    )
  );
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
