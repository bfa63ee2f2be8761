/**
 * @module report/html/feature-tables
 * The report's tables for features a run may not use: the generator's own
 * health, recovery after injected events, sessions, answer checks, answer
 * quality and agent tasks. Each is empty when its section is absent.
 */
import { escapeHtml } from '../html-escape.js';
import { formatCount, formatMs, formatPercent, formatRate, formatValue } from '../number-format.js';
import type { Summary } from '../summary.js';
import { numCell, table } from './cells.js';

type ContextStatsLike = {
  requests: number;
  context_tokens: { mean: number; max: number };
  ttft_ms: { p50: number; p95: number };
};

/** The generator's own health: whether tokenstorm, not the target, may have limited the run. */
export function generatorTable(s: Summary): string {
  const g = (s as { generator?: Record<string, unknown> }).generator;
  if (g === undefined || g === null || typeof g !== 'object') return '';
  const num = (k: string) => (typeof g[k] === 'number' ? (g[k] as number) : undefined);
  const row = (label: string, key: string, text: (v: number) => string) => {
    const v = num(key);
    return v === undefined
      ? ''
      : `<tr><td class="text">${escapeHtml(label)}</td>${numCell(`generator.${key}`, v, text(v))}</tr>`;
  };
  const limited = g.limited === true;
  const reasons = Array.isArray(g.reasons) ? (g.reasons as unknown[]).map(String) : [];
  const verdict = limited
    ? `<p class="warn" data-generator-limited="true">The generator may have limited this run: ${escapeHtml(reasons.join('; '))}. Timings include its own delay.</p>`
    : '<p class="muted" data-generator-limited="false">The generator kept up: timings are the target\'s.</p>';
  return (
    verdict +
    `<table><thead><tr><th class="text">figure</th><th>value</th></tr></thead><tbody>${[
      row('workers', 'workers', formatCount),
      row('event-loop delay p99 (ms)', 'event_loop_delay_p99_ms', formatMs),
      row('event-loop delay max (ms)', 'event_loop_delay_max_ms', formatMs),
      row('late worker-seconds', 'late_seconds', formatCount),
      row('scheduling lag p99 (ms)', 'scheduling_lag_p99_ms', formatMs),
      row('dropped arrivals', 'dropped', formatCount),
      row('CPU seconds', 'cpu_s', (v) => v.toFixed(2)),
      row('cores busy (mean)', 'cpu_cores', (v) => v.toFixed(2)),
    ].join('')}</tbody></table>`
  );
}

/** Each injected event (fault, marker) and how the system came through it (`events[i].recovery`). */
export function recoveryTable(s: Summary): string {
  const events = (s as { events?: unknown }).events;
  if (!Array.isArray(events)) return '';
  const rows = events.flatMap((e: Record<string, unknown>, i) => {
    const rec = e.recovery as Record<string, unknown> | undefined;
    if (rec === undefined || rec === null || typeof rec !== 'object') return [];
    const label = String(e.label ?? e.name ?? e.fault ?? e.kind ?? 'event');
    const cell = (k: string, fmt: (v: number) => string, none: string) => {
      const v = rec[k];
      return typeof v === 'number' ? numCell(`events.${i}.recovery.${k}`, v, fmt(v)) : `<td>${none}</td>`;
    };
    const at = typeof e.at === 'number' ? `${formatValue(e.at)} s` : '';
    return [
      `<tr data-event="${i}"><td class="text">${escapeHtml(label)}</td><td>${at}</td>` +
        cell('recovery_s', (v) => `${formatValue(v)} s`, '<span class="bad">never</span>') +
        // The rest of `recovery` (first error, requests lost, fail-over times) as one readable cell.
        `<td class="text muted">${escapeHtml(
          Object.keys(rec)
            .filter((k) => k !== 'recovery_s' && typeof rec[k] === 'number')
            .map((k) => `${k.replace(/_s$/, ' (s)').replace(/_/g, ' ')}: ${formatValue(rec[k] as number)}`)
            .join(', '),
        )}</td></tr>`,
    ];
  });
  return rows.length === 0 ? '' : table(['event', 'at', 'recovered after', 'other figures'], rows);
}

/** Multi-turn sessions: TTFT and context length by turn and by context size, per scenario. */
export function sessionsTable(s: Summary): string {
  return Object.entries(s.scenarios)
    .map(([name, sc]) => {
      const turns = Object.entries(sc.turns ?? {});
      if (turns.length === 0) return '';
      const rows = (list: [string, ContextStatsLike][], path: (k: string) => string) =>
        list.map(
          ([k, t]) =>
            `<tr><td class="text">${escapeHtml(k)}</td>${numCell(`${path(k)}.requests`, t.requests, formatCount(t.requests))}` +
            numCell(
              `${path(k)}.context_tokens.mean`,
              t.context_tokens.mean,
              formatValue(t.context_tokens.mean),
            ) +
            numCell(
              `${path(k)}.context_tokens.max`,
              t.context_tokens.max,
              formatCount(t.context_tokens.max),
            ) +
            numCell(`${path(k)}.ttft_ms.p50`, t.ttft_ms.p50, formatMs(t.ttft_ms.p50)) +
            numCell(`${path(k)}.ttft_ms.p95`, t.ttft_ms.p95, formatMs(t.ttft_ms.p95)) +
            '</tr>',
        );
      const head = [
        'requests',
        'context tokens (mean)',
        'context tokens (max)',
        'TTFT p50 (ms)',
        'TTFT p95 (ms)',
      ];
      const byContext = (sc.context ?? []).map((c): [string, ContextStatsLike] => [
        `${c.min_tokens}–${c.max_tokens}`,
        c,
      ]);
      return (
        `<h3>${escapeHtml(name)}</h3>` +
        `<table><thead><tr><th class="text">turn</th>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows(turns, (k) => `scenarios.${name}.turns.${k}`).join('')}</tbody></table>` +
        (byContext.length === 0
          ? ''
          : `<table><thead><tr><th class="text">context tokens</th>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows(byContext, (k) => `scenarios.${name}.context.${byContext.findIndex(([b]) => b === k)}`).join('')}</tbody></table>`)
      );
    })
    .join('');
}

/** Step checks: pass rate per check over the run, then per scenario and stage; '' when no check ran. */
export function checksTable(s: Summary): string {
  const c = s.checks;
  if (c === undefined) return '';
  const rate = (metric: string, r: number) => numCell(metric, r, formatPercent(r));
  const rows = [
    `<tr><td>all checks</td>${numCell('checks.passes', c.passes, formatCount(c.passes))}${numCell('checks.fails', c.fails, formatCount(c.fails))}${rate('checks.rate', c.rate)}</tr>`,
    ...Object.entries(c.byCheck).map(
      ([name, k]) =>
        `<tr><td>${escapeHtml(name)}</td>${numCell(`checks.byCheck.${name}.passes`, k.passes, formatCount(k.passes))}${numCell(`checks.byCheck.${name}.fails`, k.fails, formatCount(k.fails))}${rate(`checks.byCheck.${name}.rate`, k.rate)}</tr>`,
    ),
  ];
  const groups: [string, string, { checks?: typeof c }][] = [
    ...Object.entries(s.scenarios).map(
      ([n, g]) => [`scenario ${n}`, `scenarios.${n}`, g] as [string, string, { checks?: typeof c }],
    ),
    ...(s.stages ?? []).map(
      (g, i) => [`stage ${g.name}`, `stages.${i}`, g] as [string, string, { checks?: typeof c }],
    ),
  ];
  const byGroup = groups
    .filter(([, , g]) => g.checks !== undefined)
    .map(([label, path, g]) => {
      const k = g.checks as typeof c;
      return `<tr><td>${escapeHtml(label)}</td>${numCell(`${path}.checks.passes`, k.passes, formatCount(k.passes))}${numCell(`${path}.checks.fails`, k.fails, formatCount(k.fails))}${rate(`${path}.checks.rate`, k.rate)}</tr>`;
    });
  const head = ['check', 'passed', 'failed', 'pass rate'];
  return (
    table(head, rows) + (byGroup.length > 1 ? table(['by', 'passed', 'failed', 'pass rate'], byGroup) : '')
  );
}

/** Answer quality by stage and for the run (docs/quality.md), then the verdict; empty without samples. */
export function qualityTable(summary: Summary): string {
  const q = summary.quality;
  if (q === undefined || q.samples === 0) return '';
  const cell = (path: string, v: number | null | undefined, percent = false) =>
    v === null || v === undefined
      ? '<td class="num">-</td>'
      : numCell(path, v, percent ? `${(v * 100).toFixed(1)}%` : formatValue(v), 'td', 'num');
  const stats = [
    'similarity',
    'refusal_rate',
    'truncation_rate',
    'length_ratio',
    'consistency',
    'cosine',
    'judge_score',
  ];
  const row = (name: string, prefix: string, s: Record<string, unknown>) =>
    `<tr><td>${escapeHtml(name)}</td>${cell(`${prefix}samples`, s.samples as number)}${stats
      .map((k) => cell(`${prefix}${k}`, s[k] as number | null | undefined, k.endsWith('_rate')))
      .join('')}</tr>`;
  const rows = [
    ...(q.stages ?? []).map((st, i) =>
      row(st.name, `quality.stages.${i}.`, st as unknown as Record<string, unknown>),
    ),
    row('run', 'quality.', q as unknown as Record<string, unknown>),
  ];
  const head = [
    'stage',
    'answers',
    'similarity',
    'refusals',
    'truncated',
    'length',
    'consistency',
    'cosine',
    'judge',
  ];
  return `${table(head, rows)}<p class="muted">${escapeHtml(q.verdict.note)}</p>`;
}

/** Agent tasks: the run's figures, per tool, and per stage with the amplification (empty without agent tasks). */
export function agentsTable(s: Summary): string {
  const a = s.agents;
  if (a === undefined || a.tasks === 0) return '';
  const cell = (path: string, v: number, text: string) => numCell(`agents.${path}`, v, text);
  const head = `<tr><td class="text">all tasks</td>${cell('tasks', a.tasks, formatCount(a.tasks))}${cell('success_rate', a.success_rate, formatPercent(a.success_rate))}${cell('steps.mean', a.steps.mean, a.steps.mean.toFixed(2))}${cell('model_calls.mean', a.model_calls.mean, a.model_calls.mean.toFixed(2))}${cell('tool_calls.mean', a.tool_calls.mean, a.tool_calls.mean.toFixed(2))}${cell('task_latency_ms.p50', a.task_latency_ms.p50, formatMs(a.task_latency_ms.p50))}${cell('task_latency_ms.p95', a.task_latency_ms.p95, formatMs(a.task_latency_ms.p95))}<td class="num">1.00x</td></tr>`;
  const stages = (a.stages ?? []).map(
    (st, i) =>
      `<tr><td class="text">${escapeHtml(st.name)}${st.target === undefined ? '' : ` (${escapeHtml(formatRate(st.target))})`}</td>${cell(`stages.${i}.tasks`, st.tasks, formatCount(st.tasks))}${cell(`stages.${i}.success_rate`, st.success_rate, formatPercent(st.success_rate))}${cell(`stages.${i}.steps_mean`, st.steps_mean, st.steps_mean.toFixed(2))}${cell(`stages.${i}.model_calls_mean`, st.model_calls_mean, st.model_calls_mean.toFixed(2))}${cell(`stages.${i}.tool_calls_mean`, st.tool_calls_mean, st.tool_calls_mean.toFixed(2))}${cell(`stages.${i}.task_latency_p50_ms`, st.task_latency_p50_ms, formatMs(st.task_latency_p50_ms))}${cell(`stages.${i}.task_latency_p95_ms`, st.task_latency_p95_ms, formatMs(st.task_latency_p95_ms))}${cell(`stages.${i}.amplification`, st.amplification, `${st.amplification.toFixed(2)}x`)}</tr>`,
  );
  const tasks = table(
    [
      'tasks',
      'count',
      'success',
      'steps mean',
      'model calls mean',
      'tool calls mean',
      'task p50',
      'task p95',
      'amplification',
    ],
    [head, ...stages],
  );
  const tools = Object.entries(a.tools).map(
    ([name, t]) =>
      `<tr><td class="text">${escapeHtml(name)}</td>${cell(`tools.${name}.calls`, t.calls, formatCount(t.calls))}${cell(`tools.${name}.errors`, t.errors, formatCount(t.errors))}${cell(`tools.${name}.timeouts`, t.timeouts, formatCount(t.timeouts))}${cell(`tools.${name}.retries`, t.retries, formatCount(t.retries))}${cell(`tools.${name}.error_rate`, t.error_rate, formatPercent(t.error_rate))}${cell(`tools.${name}.latency_ms.p50`, t.latency_ms.p50, formatMs(t.latency_ms.p50))}${cell(`tools.${name}.latency_ms.p95`, t.latency_ms.p95, formatMs(t.latency_ms.p95))}</tr>`,
  );
  return (
    tasks +
    (tools.length === 0
      ? ''
      : table(['tool', 'calls', 'errors', 'timeouts', 'retries', 'error rate', 'p50', 'p95'], tools))
  );
}
