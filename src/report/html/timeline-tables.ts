/**
 * @module report/html/timeline-tables
 * The run's course in time: load stages (span, flow and figures), injected
 * events, the capacity sweep's steps and marks, and the advisory anomalies
 * with their likely causes. Each is empty when its section is absent.
 * Why apart: the run's course, not its totals: they read the optional
 * sections (report/html/sections) and the anomalies found in the windows.
 */
import { escapeHtml } from '../html-escape.js';
import { formatCount, formatPercent, formatRate, formatValue } from '../number-format.js';
import type { Summary } from '../summary.js';
import { GROUP_HEAD, groupRow, latencyCell } from './breakdown-tables.js';
import { numCell, table } from './cells.js';
import type { ReportSections, SweepCurve } from './sections.js';

/** A stage's row after its span and flow: counts and latency percentiles of the requests scheduled in it. */
function stageRow(
  label: string,
  prefix: string,
  g: Pick<Summary, 'counts' | 'metrics'>,
  lead: string,
): string {
  const q = (metric: 'ttft_ms' | 'e2e_ms', stat: 'p50' | 'p95' | 'p99') =>
    latencyCell(prefix, g, metric, stat);
  const n = (k: 'requests' | 'ok' | 'errors' | 'cancelled' | 'dropped') =>
    numCell(`${prefix}counts.${k}`, g.counts[k], formatCount(g.counts[k]));
  return `<tr><td>${escapeHtml(label)}</td>${lead}${n('requests')}${n('ok')}${n('errors')}${n('dropped')}${q('ttft_ms', 'p50')}${q('ttft_ms', 'p95')}${q('ttft_ms', 'p99')}${q('e2e_ms', 'p95')}</tr>`;
}

const STAGE_HEAD = ['requests', 'ok', 'errors', 'dropped', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'E2E p95'];

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
  if (sections.stages.every((st) => isGroup(st) && st.flow !== undefined)) {
    // Offered and sent (by schedule) beside what the stage completed (by end): its throughput.
    const flow = (st: ReportSections['stages'][number], i: number) =>
      (['offered_per_s', 'sent_per_s', 'completed_per_s', 'ok_per_s', 'goodput_per_s'] as const)
        .map((k) => {
          const v = st.flow?.[k] ?? 0;
          return numCell(`stages.${i}.flow.${k}`, v, formatRate(v));
        })
        .join('');
    return table(
      ['stage', 'start', 'end', 'offered/s', 'sent/s', 'throughput/s', 'ok/s', 'goodput/s', ...STAGE_HEAD],
      sections.stages.map((st, i) =>
        isGroup(st) ? stageRow(`${i + 1}. ${st.name}`, `stages.${i}.`, st, span(st, i) + flow(st, i)) : '',
      ),
    );
  }
  if (sections.stages.every(isGroup)) {
    return table(
      ['stage', 'start', 'end', ...GROUP_HEAD],
      sections.stages.map((st, i) =>
        isGroup(st) ? groupRow(`${i + 1}. ${st.name}`, `stages.${i}.`, st, span(st, i)) : '',
      ),
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
    sweep.saturationThroughput === undefined
      ? ''
      : `saturation throughput <strong data-metric="sweep.saturationThroughput" data-value="${sweep.saturationThroughput}">${escapeHtml(formatValue(sweep.saturationThroughput))} req/s</strong>`,
  ].filter((m) => m !== '');
  const cell = (v: number | undefined) => `<td>${v === undefined ? '' : escapeHtml(formatValue(v))}</td>`;
  const rows = sweep.points.map(
    (p) =>
      `<tr><td>${escapeHtml(formatValue(p.offered))}</td>${cell(p.offeredPerS)}${cell(p.sentPerS)}${cell(p.throughput)}${cell(p.okPerS)}${cell(p.goodput)}${cell(p.ttft?.p50)}${cell(p.ttft?.p90 ?? p.ttft?.p95)}${cell(p.ttft?.p99)}${cell(p.e2e?.p90 ?? p.e2e?.p95)}${cell(p.errorRate)}</tr>`,
  );
  return (
    (marks.length > 0 ? `<p>${marks.join(' · ')}</p>` : '') +
    table(
      [
        `step load (${sweep.unit})`,
        'offered/s',
        'sent/s',
        'throughput (completed/s)',
        'ok/s',
        'goodput/s',
        'TTFT p50',
        'TTFT p90/p95',
        'TTFT p99',
        'E2E p90/p95',
        'error rate',
      ],
      rows,
    )
  );
}

/** Advisory anomalies: the windows, how far the series left its baseline, and the likely causes. */
export function anomaliesTable(s: Summary): string {
  const anomalies = s.anomalies ?? [];
  const c = s.anomaly_concordance;
  const agree =
    c === undefined
      ? ''
      : `<p class="muted" data-agree="${c.agree}">Advisory (the verdict comes from the thresholds): ` +
        `${numCell('anomaly_concordance.anomalies', c.anomalies, formatCount(c.anomalies), 'span')} anomal${c.anomalies === 1 ? 'y' : 'ies'} ` +
        `(${numCell('anomaly_concordance.generator_limited', c.generator_limited, formatCount(c.generator_limited), 'span')} the generator's), ` +
        `${numCell('anomaly_concordance.thresholds_failed', c.thresholds_failed, formatCount(c.thresholds_failed), 'span')} of ${formatCount(c.thresholds)} threshold(s) failed: ${c.agree ? 'they agree' : 'they disagree'}.</p>`;
  if (anomalies.length === 0) return c === undefined ? '' : `${agree}<p class="muted">No anomalies.</p>`;
  const rows = anomalies.map((a, i) => {
    const causes = a.causes.map((x) => `${x.type}: ${x.label} (${formatValue(x.at_s)} s)`).join('; ');
    const size = a.metric === 'error_rate' ? `+${formatPercent(a.size)}` : `×${formatValue(a.size)}`;
    return (
      `<tr data-anomaly="${i}" data-generator="${a.generator_limited}"><td class="text">${escapeHtml(a.metric)}</td>` +
      `<td class="text">${escapeHtml(a.kind)}</td>` +
      `<td>${escapeHtml(`${formatValue(a.windows[0])}–${formatValue(a.windows[1])} s`)}</td>` +
      `${numCell(`anomalies.${i}.size`, a.size, size)}${numCell(`anomalies.${i}.baseline`, a.baseline, formatValue(a.baseline))}` +
      `<td class="text">${a.generator_limited ? '<span class="bad">generator</span>' : 'target'}</td>` +
      `<td class="text muted">${escapeHtml(causes)}</td></tr>`
    );
  });
  return (
    agree + table(['metric', 'kind', 'windows', 'size', 'baseline', 'limited by', 'likely causes'], rows)
  );
}
