/**
 * @module report/html/page
 * `report.html`: one self-contained offline page. Numbers are server-rendered
 * HTML; charts are drawn by the bundled uPlot from embedded JSON. A
 * Content-Security-Policy forbids every fetch and allows only the page's own
 * scripts (by hash), so opening it never touches the network.
 */
import { createHash } from 'node:crypto';
import { retried } from '../figures.js';
import { escapeHtml } from '../html-escape.js';
import type { Summary } from '../summary.js';
import { chartLibrary } from './assets.js';
import {
  errorsTable,
  metricsTable,
  scenariosTable,
  slowestTable,
  stepsTable,
  tokensTable,
} from './breakdown-tables.js';
import { buildChartData, type ChartSpec, MAX_TIME_POINTS } from './chart-data.js';
import { clientScript } from './client-script.js';
import { capacityPlanSection, costSection } from './cost-tables.js';
import {
  agentsTable,
  checksTable,
  generatorTable,
  qualityTable,
  recoveryTable,
  sessionsTable,
} from './feature-tables.js';
import { keyNumbers, logicalTable, thresholdsTable, verdictBlock } from './headline.js';
import { readSections } from './sections.js';
import { anomaliesTable, eventsTable, stagesTable, sweepTable } from './timeline-tables.js';

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1180px;padding:24px;color:#1d232a}
h1{margin:0 0 4px;font-size:24px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e3e6ea;padding-bottom:4px}
h3{font-size:14px;margin:14px 0 4px}
.muted{color:#5f6b76}.verdict{display:inline-block;padding:4px 12px;border-radius:4px;font-weight:700;color:#fff}
.pass{background:#1f883d}.fail{background:#cf222e}.warn{background:#fff4d6;border:1px solid #d4a72c;padding:8px 12px;border-radius:4px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px}
.card{border:1px solid #e3e6ea;border-radius:6px;padding:8px 12px}.card .label{color:#5f6b76;font-size:12px}
.card .num{font-size:19px;font-weight:600;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}
th,td{padding:4px 10px;border-bottom:1px solid #eef0f2;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.text,th.text{text-align:left}.ok{color:#1f883d;font-weight:700}.bad{color:#cf222e;font-weight:700}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:12px 20px}
.grid.small{grid-template-columns:repeat(auto-fill,minmax(360px,1fr))}
figure{margin:0}figcaption{font-weight:600;font-size:13px;margin:4px 0}
.chart{min-height:240px}.chart .u-legend{font-size:12px}.chart .u-legend th{font-weight:400}
`;

/** `<` and line separators escaped, so the JSON cannot end its script element early. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function figures(charts: readonly ChartSpec[], small = false): string {
  if (charts.length === 0) return '';
  const items = charts.map(
    (c) =>
      `<figure><figcaption>${escapeHtml(c.title)}</figcaption><div class="chart" data-chart="${escapeHtml(c.id)}" data-kind="${c.kind}"></div></figure>`,
  );
  return `<div class="grid${small ? ' small' : ''}">${items.join('')}</div>`;
}

function section(title: string, body: string): string {
  return body === '' ? '' : `<section><h2>${escapeHtml(title)}</h2>${body}</section>`;
}

/** The whole report page as one string. */
export function renderHtmlReport(summary: Summary): string {
  const sections = readSections(summary);
  const data = buildChartData(summary, sections, MAX_TIME_POINTS);
  const byGroup = (g: ChartSpec['group']) => data.charts.filter((c) => c.group === g);
  const lib = chartLibrary();
  const script = clientScript();
  const dataScript = jsonForScript(data);
  const csp = [
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    'img-src data:',
    `script-src ${sha256(lib.script)} ${sha256(script)}`,
  ].join('; ');
  const marks =
    sections.stages.length + sections.events.length > 0
      ? `<p class="muted">Shaded bands are load stages (a band too narrow for its name shows its number from the Stages table); dashed red lines are injected events.</p>`
      : '';
  // A sweep exists to find the capacity: its curve comes first, right under the key numbers.
  const sweep = section('Capacity sweep', figures(byGroup('sweep')) + sweepTable(sections.sweep));
  const timeNote =
    data.mergedWindows > 1
      ? `<p class="muted">Each point merges ${data.mergedWindows} windows: counts are summed, latency points show the worst window's percentile. Run-wide percentiles above come from the full histograms.</p>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>tokenstorm: ${escapeHtml(summary.name)}</title>
<style>${lib.css}${STYLE}</style>
</head>
<body>
<header>
<h1>${escapeHtml(summary.name)}</h1>
${verdictBlock(summary)}
<p class="muted">started ${escapeHtml(summary.startedAt)}, measured ${escapeHtml(summary.durationS.toFixed(1))} s</p>
</header>
<section><h2>Thresholds</h2>${thresholdsTable(summary)}</section>
${sweep}
<section><h2>Key numbers</h2>${keyNumbers(summary)}</section>
${section('Logical requests and attempts (retries)', logicalTable(summary))}
${section('Over time', marks + timeNote + figures(byGroup('time')))}
${section('Stages and events', stagesTable(sections) + eventsTable(sections))}
${section('Recovery after injected events', recoveryTable(summary))}
${section('Sessions: turns and context growth', sessionsTable(summary))}
${section('Answer quality', qualityTable(summary))}
${section('Anomalies', anomaliesTable(summary))}
${section('Distributions', figures(byGroup('distribution'), true))}
<section><h2>Latency and tokens</h2>${metricsTable(summary.metrics, retried(summary))}</section>
<section><h2>Errors by kind</h2>${errorsTable(summary)}</section>
${section('Checks on answers', checksTable(summary))}
<section><h2>Steps</h2>${stepsTable(summary)}</section>
${section('Agent tasks', figures(byGroup('agents')) + agentsTable(summary))}
<section><h2>Scenarios</h2>${scenariosTable(summary)}</section>
${section('Cost and models', costSection(summary))}
${section('Capacity plan', capacityPlanSection(summary))}
${section('Target telemetry', figures(byGroup('telemetry'), true))}
<section><h2>Slowest requests</h2>${slowestTable(summary)}</section>
<section><h2>Token accounting</h2>${tokensTable(summary)}</section>
${section('Generator health', generatorTable(summary))}
<footer class="muted"><p>${escapeHtml(summary.schema)} · generated by tokenstorm · charts by uPlot (MIT)</p></footer>
<script type="application/json" id="report-data">${dataScript}</script>
<script>${lib.script}</script>
<script>${script}</script>
</body>
</html>
`;
}
