/**
 * @module report/console-summary
 * The end-of-run summary printed to the terminal: verdict, counts, rates,
 * latency percentiles, errors by kind, scenarios, steps and thresholds.
 * Under retries the logical figures (what users saw) come before the
 * per-attempt ones.
 */
import type { QualityStats } from '../analysis/index.js';
import { type LogicalSummary, METRIC_NAMES, type MetricName, type MetricStats } from '../metrics/index.js';
import {
  formatCount,
  formatMs,
  formatPercent,
  formatRate,
  formatStatValue,
  formatUsd,
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

const LOGICAL_METRICS: readonly MetricName[] = ['e2e_logical_ms', 'ttft_logical_ms'];

/** Whether any request was retried: only then do logical and attempt figures differ. */
function retried(summary: Summary): boolean {
  return summary.logical !== undefined && summary.logical.requests !== summary.counts.requests;
}

/** The logical figures, or (a summary written before they existed) the attempts'. */
function logicalOf(summary: Summary): LogicalSummary {
  const c = summary.counts;
  const r = summary.rates;
  return (
    summary.logical ?? {
      requests: c.requests,
      ok: c.ok,
      errors: c.errors,
      cancelled: c.cancelled,
      byError: c.byError,
      error_rate: r.error_rate,
      ok_per_s: r.ok_per_s,
      goodput_per_s: r.goodput_per_s,
      goodput_pct: r.goodput_pct,
    }
  );
}

function metricLines(summary: Summary): string[] {
  const rows: string[][] = [['metric', ...STAT_COLUMNS]];
  // Logical latencies equal the attempts' without retries; with them they come first.
  const order = retried(summary)
    ? [...LOGICAL_METRICS, ...METRIC_NAMES.filter((m) => !LOGICAL_METRICS.includes(m))]
    : METRIC_NAMES.filter((m) => !LOGICAL_METRICS.includes(m));
  for (const metric of order) {
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

/** Step checks: pass rate per check, and per stage when the load has stages; nothing when no check ran. */
function checkLines(summary: Summary): string[] {
  const c = summary.checks;
  if (c === undefined) return [];
  const row = (label: string, k: { passes: number; fails: number; rate: number }) => [
    label,
    formatCount(k.passes),
    formatCount(k.fails),
    formatPercent(k.rate),
  ];
  const rows = [
    ['check', 'passed', 'failed', 'pass rate'],
    ...Object.entries(c.byCheck).map(([name, k]) => row(name, k)),
    row('all checks', c),
  ];
  const stages = (summary.stages ?? []).filter((s) => s.checks !== undefined);
  const byStage =
    stages.length > 1
      ? [
          '',
          'checks by stage',
          ...renderTable(
            [
              ['stage', 'passed', 'failed', 'pass rate'],
              ...stages.map((s) => row(s.name, s.checks as typeof c)),
            ],
            ['left', 'right', 'right', 'right'],
            '  ',
          ),
        ]
      : [];
  return [
    '',
    'checks on answers',
    ...renderTable(rows, ['left', 'right', 'right', 'right'], '  '),
    ...byStage,
  ];
}

/** Agent tasks: success, steps and model calls per task, task latency, tools, and per stage the amplification. */
function agentLines(summary: Summary): string[] {
  const a = summary.agents;
  if (a === undefined || a.tasks === 0) return [];
  const rows: string[][] = [
    ['agent tasks', 'success', 'steps p50', 'steps max', 'model calls mean', 'task p50', 'task p95'],
    [
      formatCount(a.tasks),
      formatPercent(a.success_rate),
      formatCount(a.steps.p50),
      formatCount(a.steps.max),
      a.model_calls.mean.toFixed(2),
      formatMs(a.task_latency_ms.p50),
      formatMs(a.task_latency_ms.p95),
    ],
  ];
  const out = ['', ...renderTable(rows, Array<'right'>(7).fill('right'))];
  const tools = Object.entries(a.tools);
  if (tools.length > 0) {
    const t: string[][] = [['tool', 'calls', 'errors', 'timeouts', 'retries', 'error rate', 'p50', 'p95']];
    for (const [name, x] of tools) {
      t.push([
        name,
        formatCount(x.calls),
        formatCount(x.errors),
        formatCount(x.timeouts),
        formatCount(x.retries),
        formatPercent(x.error_rate),
        formatMs(x.latency_ms.p50),
        formatMs(x.latency_ms.p95),
      ]);
    }
    out.push('', ...renderTable(t, ['left', ...Array<'right'>(7).fill('right')]));
  }
  if (a.stages !== undefined && a.stages.length > 1) {
    const t: string[][] = [
      ['stage', 'load', 'tasks', 'success', 'steps mean', 'model calls mean', 'amplification'],
    ];
    for (const st of a.stages) {
      t.push([
        st.name,
        st.target === undefined ? '-' : formatRate(st.target),
        formatCount(st.tasks),
        formatPercent(st.success_rate),
        st.steps_mean.toFixed(2),
        st.model_calls_mean.toFixed(2),
        `${st.amplification.toFixed(2)}x`,
      ]);
    }
    out.push('', ...renderTable(t, ['left', ...Array<'right'>(6).fill('right')]));
  }
  return out;
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

/** Cost by the price table, per model when more than one answered, the notes, and a capacity plan. */
function costLines(summary: Summary, paint: Paint): string[] {
  const cost = summary.cost;
  const out: string[] = [];
  if (cost !== undefined && cost.priced === 0 && cost.budget === undefined) {
    // Nothing priced (a mock's model, a self-hosted one): one line saying why, not a table of zeros.
    out.push('', `cost  not priced: ${cost.notes.join('; ') || 'no billable requests'}`);
  } else if (cost !== undefined) {
    out.push(
      '',
      `cost  ${formatUsd(cost.total_usd)} total, ${formatUsd(cost.per_request?.mean ?? 0)} a request, ${formatUsd(cost.per_1000_requests_usd)} per 1,000 requests (${formatCount(cost.priced)} priced of ${formatCount(cost.requests)})`,
    );
    const models = Object.entries(summary.models ?? {});
    if (models.length > 1) {
      const rows = [
        ['model', 'share', 'requests', 'ttft p95', 'e2e p95', 'cost', 'a request'],
        ...models.map(([name, m]) => [
          name,
          formatPercent(m.share),
          formatCount(m.counts.requests),
          formatMs(m.metrics.ttft_ms?.p95 ?? 0),
          formatMs(m.metrics.e2e_ms?.p95 ?? 0),
          m.priced === 0 ? 'unpriced' : formatUsd(m.cost_usd),
          m.priced === 0 ? '-' : formatUsd(m.cost_usd / m.priced),
        ]),
      ];
      out.push(...renderTable(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right'], '  '));
    }
    const lin = cost.linearity;
    if (lin.verdict !== 'unknown') {
      const steps = lin.by_load.map((s) => `${s.stage} ${formatUsd(s.per_request_usd)}`).join(' → ');
      out.push(
        `cost per request by load: ${steps} (${lin.verdict === 'grows' ? paint(33, 'grows') : 'flat'})`,
      );
    }
    if (cost.budget !== undefined) {
      const caps = [
        cost.budget.max_cost_usd === undefined ? '' : `max ${formatUsd(cost.budget.max_cost_usd)}`,
        cost.budget.max_tokens === undefined ? '' : `max ${formatCount(cost.budget.max_tokens)} tokens`,
        cost.budget.max_requests === undefined ? '' : `max ${formatCount(cost.budget.max_requests)} requests`,
      ].filter((s) => s !== '');
      out.push(
        `budget: ${caps.join(', ')}${cost.budget.stopped === undefined ? '' : paint(33, `; stopped: ${cost.budget.stopped}`)}`,
      );
    }
    for (const note of cost.notes) out.push(paint(33, `! ${note}`));
  }
  const plan = summary.capacity_plan;
  if (plan !== undefined) {
    const replicas = plan.replicas === null ? 'unknown' : formatCount(plan.replicas);
    const perHour = plan.cost_per_hour_usd.total;
    const per1000 = plan.cost_per_1000_requests_usd.total;
    out.push(
      '',
      `capacity plan  ${formatRate(plan.target_rps)} req/s + ${formatPercent(plan.headroom)} headroom: ${replicas} replica(s) at ${plan.replica_rps === null ? '?' : formatRate(plan.replica_rps)} req/s each (${plan.replica_rps_from})` +
        (perHour === null ? '' : `, ${formatUsd(perHour)}/hour`) +
        (per1000 === null ? '' : `, ${formatUsd(per1000)} per 1,000 requests`),
      ...plan.notes.map((n) => paint(33, `! ${n}`)),
    );
  }
  return out;
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

/** Retry amplification, recovery after injected events, session turns and the generator's health. */
function extraLines(summary: Summary): string[] {
  const out: string[] = [];
  const amp = summary.rates.retry_amplification;
  if (amp !== undefined && amp > 1)
    out.push('', `retry amplification  ${amp.toFixed(2)}x attempts per logical request`);
  const events = (
    summary as { events?: { label?: string; at?: number; recovery?: { recovery_s?: number | null } }[] }
  ).events;
  const recovered = (events ?? []).filter((e) => e.recovery !== undefined);
  if (recovered.length > 0) {
    out.push('', 'recovery after injected events');
    out.push(
      ...renderTable(
        recovered.map((e) => [
          e.label ?? 'event',
          `at ${formatValue(e.at ?? 0)} s`,
          typeof e.recovery?.recovery_s === 'number'
            ? `recovered after ${formatValue(e.recovery.recovery_s)} s`
            : 'never recovered',
        ]),
        ['left', 'right', 'left'],
        '  ',
      ),
    );
  }
  for (const [name, sc] of Object.entries(summary.scenarios)) {
    const turns = Object.entries(sc.turns ?? {});
    if (turns.length === 0) continue;
    out.push('', `sessions of ${name}: by turn`);
    out.push(
      ...renderTable(
        [
          ['turn', 'requests', 'context tokens (mean)', 'TTFT p50', 'TTFT p95'],
          ...turns.map(([turn, t]) => [
            turn,
            formatCount(t.requests),
            formatValue(t.context_tokens.mean),
            formatMs(t.ttft_ms.p50),
            formatMs(t.ttft_ms.p95),
          ]),
        ],
        ['left', 'right', 'right', 'right', 'right'],
        '  ',
      ),
    );
  }
  const g = (
    summary as {
      generator?: { limited?: boolean; event_loop_delay_p99_ms?: number; cpu_cores?: number | null };
    }
  ).generator;
  if (g !== undefined) {
    const cores = typeof g.cpu_cores === 'number' ? `, ${g.cpu_cores.toFixed(2)} cores busy` : '';
    out.push(
      '',
      `generator  ${g.limited ? 'may have limited this run' : 'kept up'} (event loop p99 ${formatMs(g.event_loop_delay_p99_ms ?? 0)} ms${cores})`,
    );
  }
  return out;
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

/** The end-of-run table, aligned for a plain terminal. */
/** Answer quality (docs/quality.md): the run's figures, by stage when staged, and the verdict. */
function qualityLines(summary: Summary): string[] {
  const q = summary.quality;
  if (q === undefined || q.samples === 0) return [];
  const num = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));
  const header = ['quality', 'answers', 'similarity', 'refusals', 'truncated', 'length', 'consistency'];
  const row = (name: string, s: QualityStats & { length_ratio?: number | null }) => [
    name,
    formatCount(s.samples),
    num(s.similarity),
    formatPercent(s.refusal_rate),
    formatPercent(s.truncation_rate),
    num(s.length_ratio),
    num(s.consistency),
  ];
  const rows = [
    header,
    ...(q.stages ?? []).filter((s) => s.samples > 0).map((s) => row(s.name, s)),
    row('run', q),
  ];
  const table = renderTable(rows, ['left', 'right', 'right', 'right', 'right', 'right', 'right']);
  const failures = [q.scoring?.embeddings?.error, q.scoring?.judge?.error].filter((e) => e !== undefined);
  return ['', ...table, q.verdict.note, ...failures.map((e) => `quality scoring failed: ${e}`)];
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
