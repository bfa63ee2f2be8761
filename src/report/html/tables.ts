/**
 * @module report/html/tables
 * The report's numbers as HTML: verdict, thresholds, key numbers, metric
 * percentiles, errors, scenarios, stages, slowest requests, tokens (the
 * tables of optional features are in feature-tables.ts). Every
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
import { card, numCell, table } from './cells.js';
import type { ReportSections, SweepCurve } from './sections.js';

const STAT_COLUMNS: readonly (keyof MetricStats)[] = ['count', 'mean', 'p50', 'p90', 'p95', 'p99', 'max'];

/** The logical figures when the summary has them (older ones do not). */
function logicalRate(s: Summary): { requests: number; error_rate: number } {
  return s.logical ?? { requests: s.counts.requests, error_rate: s.rates.error_rate };
}

/** Whether any request was retried: only then do logical and attempt figures differ. */
function retried(s: Summary): boolean {
  return s.logical !== undefined && s.logical.requests !== s.counts.requests;
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
  if (blocking.length === 0) {
    // Nothing was checked: say so and what happened, never PASSED.
    const l = logicalRate(s);
    const most = l.error_rate > 0.5;
    const detail = `no thresholds (${formatCount(l.requests)} requests, ${formatPercent(l.error_rate)} errors)${most ? ': most requests failed' : ''}`;
    return (
      `<p><span class="verdict ${most ? 'fail' : 'pass'}" data-metric="passed" data-value="${s.passed}">` +
      `NO THRESHOLDS</span> <span class="muted">${escapeHtml(detail)}</span></p>`
    );
  }
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
    name: 'ttft_ms' | 'itl_ms' | 'tpot_ms' | 'e2e_ms' | 'e2e_logical_ms' | 'ttft_logical_ms',
    stat: 'p50' | 'p95' | 'p99',
    label: string,
  ) => card(label, `${name}.${stat}`, m[name]?.[stat] ?? 0, `${formatMs(m[name]?.[stat] ?? 0)} ms`);
  const noSlo =
    s.slo !== undefined && Object.keys(s.slo).length === 0 ? ' (no SLO: every ok request counts)' : '';
  const l = s.logical;
  // Under retries, what users saw comes first: one outcome per logical request.
  const logical =
    l !== undefined && retried(s)
      ? [
          card('logical requests', 'logical.requests', l.requests, formatCount(l.requests)),
          card('logical ok', 'logical.ok', l.ok, formatCount(l.ok)),
          card('logical errors', 'logical.errors', l.errors, formatCount(l.errors)),
          card('logical error rate', 'logical.error_rate', l.error_rate, formatPercent(l.error_rate)),
          card(
            `logical goodput/s${noSlo}`,
            'logical.goodput_per_s',
            l.goodput_per_s,
            formatRate(l.goodput_per_s),
          ),
          card('logical goodput %', 'logical.goodput_pct', l.goodput_pct, `${l.goodput_pct.toFixed(2)}%`),
          ms('e2e_logical_ms', 'p50', 'logical E2E p50'),
          ms('e2e_logical_ms', 'p95', 'logical E2E p95'),
        ]
      : [];
  const attempts = logical.length > 0 ? 'attempts: ' : '';
  return `<div class="cards">${[
    ...logical,
    card(`${attempts}requests`, 'counts.requests', c.requests, formatCount(c.requests)),
    card(`${attempts}ok`, 'counts.ok', c.ok, formatCount(c.ok)),
    card(`${attempts}errors`, 'counts.errors', c.errors, formatCount(c.errors)),
    card('cancelled', 'counts.cancelled', c.cancelled, formatCount(c.cancelled)),
    card('dropped', 'counts.dropped', c.dropped, formatCount(c.dropped)),
    card(`${attempts}error rate`, 'rates.error_rate', r.error_rate, formatPercent(r.error_rate)),
    card('requests/s', 'rates.requests_per_s', r.requests_per_s, formatRate(r.requests_per_s)),
    card(
      'output tokens/s',
      'rates.output_tokens_per_s',
      r.output_tokens_per_s,
      formatRate(r.output_tokens_per_s),
    ),
    card(`${attempts}goodput/s${noSlo}`, 'rates.goodput_per_s', r.goodput_per_s, formatRate(r.goodput_per_s)),
    ms('ttft_ms', 'p50', 'TTFT p50'),
    ms('ttft_ms', 'p95', 'TTFT p95'),
    ms('ttft_ms', 'p99', 'TTFT p99'),
    ms('itl_ms', 'p50', 'ITL p50'),
    ms('itl_ms', 'p95', 'ITL p95'),
    ms('tpot_ms', 'p50', 'TPOT p50'),
    ms('tpot_ms', 'p95', 'TPOT p95'),
    ms('e2e_ms', 'p50', 'E2E p50'),
    ms('e2e_ms', 'p95', 'E2E p95'),
    ...(r.retry_amplification !== undefined && r.retry_amplification > 1
      ? [
          card(
            'retry amplification (× attempts per logical request)',
            'rates.retry_amplification',
            r.retry_amplification,
            r.retry_amplification.toFixed(2),
          ),
        ]
      : []),
  ].join('')}</div>${stepKindCards(s)}`;
}

/** A step that streamed tokens (TTFT measured) is a model step; the rest are plain HTTP and the like. */
function isModelStep(step: Summary['steps'][string]): boolean {
  return (step.metrics.ttft_ms?.count ?? 0) > 0;
}

/**
 * When a test mixes model steps with plain HTTP ones, the run-wide E2E and rates mix both: the
 * cards of each kind apart, per step, so a fast health check does not hide a slow model.
 */
function stepKindCards(s: Summary): string {
  const steps = Object.entries(s.steps ?? {});
  const model = steps.filter(([, st]) => isModelStep(st));
  const other = steps.filter(([, st]) => !isModelStep(st));
  if (model.length === 0 || other.length === 0) return '';
  const stepMs = (
    name: string,
    st: Summary['steps'][string],
    metric: 'ttft_ms' | 'tpot_ms' | 'e2e_ms',
    stat: 'p50' | 'p95',
    label: string,
  ) => {
    const v = st.metrics[metric]?.[stat] ?? 0;
    return card(label, `steps.${name}.metrics.${metric}.${stat}`, v, `${formatMs(v)} ms`);
  };
  const common = (name: string, st: Summary['steps'][string]) => [
    card(
      'requests/s',
      `steps.${name}.rates.requests_per_s`,
      st.rates.requests_per_s,
      formatRate(st.rates.requests_per_s),
    ),
    card(
      'error rate',
      `steps.${name}.rates.error_rate`,
      st.rates.error_rate,
      formatPercent(st.rates.error_rate),
    ),
  ];
  const modelCards = model.map(([name, st]) =>
    [
      ...common(name, st),
      card(
        'output tokens/s',
        `steps.${name}.rates.output_tokens_per_s`,
        st.rates.output_tokens_per_s,
        formatRate(st.rates.output_tokens_per_s),
      ),
      stepMs(name, st, 'ttft_ms', 'p50', 'TTFT p50'),
      stepMs(name, st, 'ttft_ms', 'p95', 'TTFT p95'),
      stepMs(name, st, 'tpot_ms', 'p50', 'TPOT p50'),
      stepMs(name, st, 'e2e_ms', 'p95', 'E2E p95'),
    ].join(''),
  );
  const otherCards = other.map(([name, st]) =>
    [
      ...common(name, st),
      stepMs(name, st, 'e2e_ms', 'p50', 'E2E p50'),
      stepMs(name, st, 'e2e_ms', 'p95', 'E2E p95'),
    ].join(''),
  );
  const group = (title: string, names: string[], cards: string[]) =>
    names
      .map(
        (n, i) =>
          `<h3 data-step-kind="${escapeHtml(title)}">${escapeHtml(title)}: ${escapeHtml(n)}</h3><div class="cards">${cards[i]}</div>`,
      )
      .join('');
  return (
    '<p class="muted">The figures above mix every step; each kind apart:</p>' +
    group(
      'model step',
      model.map(([n]) => n),
      modelCards,
    ) +
    group(
      'HTTP step',
      other.map(([n]) => n),
      otherCards,
    )
  );
}

const LOGICAL_METRICS: readonly string[] = ['e2e_logical_ms', 'ttft_logical_ms'];

/** Percentiles of every metric; the logical latencies first under retries, left out without (they equal the attempts'). */
export function metricsTable(metrics: Summary['metrics'], withRetries = false): string {
  const names = withRetries
    ? [
        ...METRIC_NAMES.filter((n) => LOGICAL_METRICS.includes(n)),
        ...METRIC_NAMES.filter((n) => !LOGICAL_METRICS.includes(n)),
      ]
    : METRIC_NAMES.filter((n) => !LOGICAL_METRICS.includes(n));
  const rows = names.flatMap((name) => {
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

/** A stage's row after its span and flow: counts and latency percentiles of the requests scheduled in it. */
function stageRow(
  label: string,
  prefix: string,
  g: Pick<Summary, 'counts' | 'metrics'>,
  lead: string,
): string {
  const q = (metric: 'ttft_ms' | 'e2e_ms', stat: 'p50' | 'p95' | 'p99') => {
    const v = g.metrics[metric]?.[stat] ?? 0;
    return numCell(`${prefix}metrics.${metric}.${stat}`, v, formatMs(v));
  };
  const n = (k: 'requests' | 'ok' | 'errors' | 'cancelled' | 'dropped') =>
    numCell(`${prefix}counts.${k}`, g.counts[k], formatCount(g.counts[k]));
  return `<tr><td>${escapeHtml(label)}</td>${lead}${n('requests')}${n('ok')}${n('errors')}${n('dropped')}${q('ttft_ms', 'p50')}${q('ttft_ms', 'p95')}${q('ttft_ms', 'p99')}${q('e2e_ms', 'p95')}</tr>`;
}

const STAGE_HEAD = ['requests', 'ok', 'errors', 'dropped', 'TTFT p50', 'TTFT p95', 'TTFT p99', 'E2E p95'];

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

/** Each step's own figures, by step name (across scenarios). */
export function stepsTable(s: Summary): string {
  const names = Object.keys(s.steps ?? {});
  if (names.length === 0) return '<p class="muted">No steps recorded.</p>';
  const rows = names.flatMap((name) => {
    const st = s.steps[name];
    if (st === undefined) return [];
    const e2e = (stat: 'p50' | 'p90') => {
      const v = st.metrics.e2e_ms?.[stat] ?? 0;
      return numCell(`steps.${name}.metrics.e2e_ms.${stat}`, v, formatMs(v));
    };
    const row = groupRow(name, `steps.${name}.`, st, `<td class="text">${escapeHtml(st.kind)}</td>`);
    return [row.replace(/<\/tr>$/, `${e2e('p50')}${e2e('p90')}</tr>`)];
  });
  return table(['step', 'kind', ...GROUP_HEAD, 'E2E p50', 'E2E p90'], rows);
}

/** Under retries: what users saw (logical) beside the attempts, run-wide and per scenario. */
export function logicalTable(s: Summary): string {
  const l = s.logical;
  if (l === undefined || !retried(s)) return '';
  const row = (
    label: string,
    prefix: string,
    g: { logical: NonNullable<Summary['logical']> } & Pick<Summary, 'counts' | 'rates'>,
  ) =>
    `<tr><td>${escapeHtml(label)}</td>` +
    numCell(`${prefix}logical.requests`, g.logical.requests, formatCount(g.logical.requests)) +
    numCell(`${prefix}logical.ok`, g.logical.ok, formatCount(g.logical.ok)) +
    numCell(`${prefix}logical.errors`, g.logical.errors, formatCount(g.logical.errors)) +
    numCell(`${prefix}logical.error_rate`, g.logical.error_rate, formatPercent(g.logical.error_rate)) +
    numCell(`${prefix}logical.goodput_pct`, g.logical.goodput_pct, `${g.logical.goodput_pct.toFixed(2)}%`) +
    numCell(`${prefix}counts.requests`, g.counts.requests, formatCount(g.counts.requests)) +
    numCell(`${prefix}counts.errors`, g.counts.errors, formatCount(g.counts.errors)) +
    numCell(`${prefix}rates.error_rate`, g.rates.error_rate, formatPercent(g.rates.error_rate)) +
    numCell(`${prefix}rates.goodput_pct`, g.rates.goodput_pct, `${g.rates.goodput_pct.toFixed(2)}%`) +
    '</tr>';
  const rows = [row('run', '', { logical: l, counts: s.counts, rates: s.rates })];
  for (const [name, sc] of Object.entries(s.scenarios)) {
    if (sc.logical !== undefined) rows.push(row(`scenario ${name}`, `scenarios.${name}.`, sc));
  }
  return table(
    [
      '',
      'logical requests',
      'logical ok',
      'logical errors',
      'logical error rate',
      'logical goodput %',
      'attempts',
      'attempt errors',
      'attempt error rate',
      'attempt goodput %',
    ],
    rows,
  );
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
