/**
 * @module report/console-features
 * The console summary's lines for features a run may not use: answer checks,
 * agent tasks, cost, answer quality, and retry amplification, recovery,
 * sessions and the generator's health. Each returns no lines when its section
 * is absent from the summary.
 */
import type { QualityStats } from '../analysis/index.js';
import { formatCount, formatMs, formatPercent, formatRate, formatUsd, formatValue } from './number-format.js';
import type { Summary } from './summary.js';
import { renderTable } from './text-table.js';

/** Wraps text in an ANSI colour (or not). */
export type Paint = (code: number, text: string) => string;

/** Step checks: pass rate per check, and per stage when the load has stages; nothing when no check ran. */
export function checkLines(summary: Summary): string[] {
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
export function agentLines(summary: Summary): string[] {
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

/** Cost by the price table, per model when more than one answered, the notes, and a capacity plan. */
export function costLines(summary: Summary, paint: Paint): string[] {
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

/** Retry amplification, recovery after injected events, session turns and the generator's health. */
export function extraLines(summary: Summary): string[] {
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

/** The end-of-run table, aligned for a plain terminal. */
/** Answer quality (docs/quality.md): the run's figures, by stage when staged, and the verdict. */
export function qualityLines(summary: Summary): string[] {
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
