/**
 * @module report/html-report
 * `report.html`: one self-contained offline page (inline CSS and SVG, no
 * script, a CSP that forbids fetching anything). Numbers sit in elements with
 * `data-metric="ttft_ms.p50"` and a raw `data-value`, for browser tests.
 */
import { METRIC_NAMES, type MetricStats } from '../metrics/index.js';
import { escapeHtml } from './html-escape.js';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatStatValue,
  formatValue,
} from './number-format.js';
import type { Summary } from './summary.js';
import { renderLineChart } from './svg-chart.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:24px;color:#1d232a}
h1{margin:0 0 4px;font-size:24px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
.muted{color:#5f6b76}.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:700;color:#fff}
.pass{background:#1f883d}.fail{background:#cf222e}.warn{background:#fff4d6;border:1px solid #d4a72c;padding:8px 12px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px}.card .label{color:#5f6b76;font-size:12px}
.card .num{font-size:20px;font-weight:600;font-variant-numeric:tabular-nums}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}th,td{padding:4px 10px;border-bottom:1px solid #eef0f2;text-align:right}
th:first-child,td:first-child,td.text,th.text{text-align:left}.ok{color:#1f883d;font-weight:700}.bad{color:#cf222e;font-weight:700}
.chart text{fill:#5f6b76}
`;

const STAT_COLUMNS: readonly (keyof MetricStats)[] = ['count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];

/** A cell holding a number: formatted text, the raw value in `data-value`. */
function numCell(metric: string, value: number, text: string, tag = 'td', cls = ''): string {
  const attrs = `${cls === '' ? '' : ` class="${cls}"`} data-metric="${escapeHtml(metric)}" data-value="${escapeHtml(value)}"`;
  return `<${tag}${attrs}>${escapeHtml(text)}</${tag}>`;
}

function card(label: string, metric: string, value: number, text: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div>${numCell(metric, value, text, 'div', 'num')}</div>`;
}

function keyNumbers(s: Summary): string {
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
    ms('itl_ms', 'p95', 'ITL p95'),
    ms('tpot_ms', 'p95', 'TPOT p95'),
    ms('e2e_ms', 'p95', 'E2E p95'),
  ].join('')}</div>`;
}

function metricsTable(metrics: Summary['metrics']): string {
  const head = `<tr><th>metric</th>${STAT_COLUMNS.map((c) => `<th>${c}</th>`).join('')}</tr>`;
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
  return `<table>${head}${rows.join('')}</table>`;
}

function thresholdsSection(s: Summary): string {
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
  return `<table><tr><th>result</th><th class="text">metric</th><th class="text">threshold</th><th>value</th><th class="text">kind</th><th class="text">note</th></tr>${rows.join('')}</table>`;
}

function errorsSection(s: Summary): string {
  const kinds = Object.entries(s.counts.byError);
  if (kinds.length === 0) return '<p class="muted">No errors.</p>';
  const rows = kinds.map(
    ([kind, n]) =>
      `<tr><td>${escapeHtml(kind)}</td>${numCell(`counts.byError.${kind}`, n, formatCount(n))}</tr>`,
  );
  return `<table><tr><th>kind</th><th>count</th></tr>${rows.join('')}</table>`;
}

function scenariosSection(s: Summary): string {
  const names = Object.keys(s.scenarios);
  if (names.length === 0) return '<p class="muted">No scenarios recorded.</p>';
  const rows = names.map((name) => {
    const sc = s.scenarios[name];
    if (sc === undefined) return '';
    const p = `scenarios.${name}.`;
    return (
      `<tr><td>${escapeHtml(name)}</td>` +
      numCell(`${p}counts.requests`, sc.counts.requests, formatCount(sc.counts.requests)) +
      numCell(`${p}counts.ok`, sc.counts.ok, formatCount(sc.counts.ok)) +
      numCell(`${p}counts.errors`, sc.counts.errors, formatCount(sc.counts.errors)) +
      numCell(`${p}counts.cancelled`, sc.counts.cancelled, formatCount(sc.counts.cancelled)) +
      numCell(`${p}rates.requests_per_s`, sc.rates.requests_per_s, formatRate(sc.rates.requests_per_s)) +
      numCell(`${p}ttft_ms.p95`, sc.metrics.ttft_ms?.p95 ?? 0, formatMs(sc.metrics.ttft_ms?.p95 ?? 0)) +
      numCell(`${p}e2e_ms.p95`, sc.metrics.e2e_ms?.p95 ?? 0, formatMs(sc.metrics.e2e_ms?.p95 ?? 0)) +
      '</tr>'
    );
  });
  return `<table><tr><th>scenario</th><th>requests</th><th>ok</th><th>errors</th><th>cancelled</th><th>req/s</th><th>TTFT p95 (ms)</th><th>E2E p95 (ms)</th></tr>${rows.join('')}</table>`;
}

function chartsSection(s: Summary): string {
  if (s.windows.length === 0) return '<p class="muted">No time windows recorded.</p>';
  const x = s.windows.map((w) => w.start_s);
  return [
    renderLineChart({
      id: 'requests',
      title: 'Requests per window',
      x,
      series: [
        { name: 'requests', values: s.windows.map((w) => w.requests), color: '#0969da' },
        { name: 'errors', values: s.windows.map((w) => w.errors), color: '#cf222e' },
      ],
    }),
    renderLineChart({
      id: 'ttft',
      title: 'TTFT per window (ms)',
      x,
      series: [
        { name: 'TTFT p50 (ms)', values: s.windows.map((w) => w.ttft_ms.p50), color: '#1f883d' },
        {
          name: 'TTFT p95 (ms)',
          values: s.windows.map((w) => w.ttft_ms.p95),
          color: '#9a6700',
          dashed: true,
        },
      ],
    }),
  ].join('');
}

function tokensSection(s: Summary): string {
  const t = s.tokens;
  const warning =
    t.mismatched_requests > 0
      ? `<p class="warn" data-metric="tokens.mismatched_requests" data-value="${t.mismatched_requests}">` +
        `Server usage and client tokenizer disagree on ${escapeHtml(formatCount(t.mismatched_requests))} request(s).</p>`
      : '';
  const row = (label: string, key: keyof typeof t) =>
    `<tr><td>${label}</td>${numCell(`tokens.${key}`, t[key], formatCount(t[key]))}</tr>`;
  return `${warning}<table>${row('output (server)', 'output_server')}${row('output (client)', 'output_client')}${row('input (server)', 'input_server')}${row('input (client)', 'input_client')}</table>`;
}

/** The whole report page as one string. */
export function renderHtmlReport(summary: Summary): string {
  const verdict = summary.passed ? 'PASSED' : 'FAILED';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>tokenstorm: ${escapeHtml(summary.name)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(summary.name)}</h1>
<p><span class="verdict ${summary.passed ? 'pass' : 'fail'}" data-metric="passed" data-value="${summary.passed}">${verdict}</span>
<span class="muted">started ${escapeHtml(summary.startedAt)}, measured ${escapeHtml(summary.durationS.toFixed(1))} s</span></p>
</header>
<section><h2>Thresholds</h2>${thresholdsSection(summary)}</section>
<section><h2>Key numbers</h2>${keyNumbers(summary)}</section>
<section><h2>Latency and tokens</h2>${metricsTable(summary.metrics)}</section>
<section><h2>Errors by kind</h2>${errorsSection(summary)}</section>
<section><h2>Scenarios</h2>${scenariosSection(summary)}</section>
<section><h2>Over time</h2>${chartsSection(summary)}</section>
<section><h2>Token accounting</h2>${tokensSection(summary)}</section>
<footer class="muted"><p>${escapeHtml(summary.schema)} · generated by tokenstorm</p></footer>
</body>
</html>
`;
}
