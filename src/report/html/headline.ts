/**
 * @module report/html/headline
 * The top of the report: the verdict, the thresholds, the key-number cards
 * (each step kind apart when model and plain HTTP steps mix) and, under
 * retries, logical requests beside their attempts. Every number sits in an
 * element with `data-metric="<path in summary.json>"` and its raw value in
 * `data-value`, so a browser test can compare them.
 * Why apart: what a reader sees first, and judges the run by, in one place.
 */
import { logicalOf, retried } from '../figures.js';
import { escapeHtml } from '../html-escape.js';
import { formatCount, formatMs, formatPercent, formatRate, formatValue } from '../number-format.js';
import type { Summary } from '../summary.js';
import { card, numCell, table } from './cells.js';

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
    const l = logicalOf(s);
    const most = l.error_rate > 0.5;
    const detail = `no thresholds (${formatCount(l.requests)} requests, ${formatPercent(l.error_rate)} errors)${most ? ': most requests failed' : ''}`;
    return (
      `<p><span class="verdict ${most ? 'fail' : 'pass'}" data-metric="passed" data-value="${s.passed}">` +
      `NO THRESHOLDS</span> <span class="muted">${escapeHtml(detail)}</span></p>`
    );
  }
  const detail =
    failed === 0
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
    const value = numCell(`thresholds.${i}.value`, t.value, t.value === null ? 'n/a' : formatValue(t.value));
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
