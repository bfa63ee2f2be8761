/**
 * @module report/notify
 * What a run's webhooks are told (the test's `notify:`): from a finished
 * summary (failed thresholds, a `compare` section's regressions, anomalies)
 * to the items of each event kind and their `generic` JSON or Slack
 * incoming-webhook payloads, with the context a person needs to triage.
 * Sending them is notify-delivery.ts.
 */
import { formatStat, parseThreshold } from '../analysis/index.js';

/** What a webhook can be told about. */
export const NOTIFY_EVENTS = ['threshold', 'regression', 'anomaly'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
export const NOTIFY_FORMATS = ['generic', 'slack'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];

/** One entry of the test's `notify:` list. */
export interface NotifyTarget {
  webhook: string;
  format: NotifyFormat;
  on: readonly NotifyEvent[];
}

/** Where the run came from and where its files are. */
export interface NotifyContext {
  test: string;
  target: string;
  git?: { commit: string; branch?: string | undefined; dirty: boolean } | undefined;
  runDir: string;
  report: string;
  passed: boolean;
  startedAt: string;
}

/** One thing that went wrong, in the same shape for every kind (null where a kind has no such figure). */
export interface NotifyItem {
  scenario: string;
  metric: string;
  /** `p99`, or null for a rate or a count. */
  percentile: string | null;
  value: number | null;
  /** The baseline run's value (regression), the trailing median (anomaly); null for a threshold. */
  baseline: number | null;
  /** The threshold's limit; null for the other kinds. */
  limit: number | null;
  /** value − baseline. */
  delta: number | null;
  /** delta ÷ baseline. */
  relative: number | null;
  /** The confidence interval of delta (regression). */
  interval: { low: number; high: number } | null;
  /** One line a person reads. */
  detail: string;
}

/** The parts of summary.json notifications read (the `compare` section may be absent). */
export interface NotifySummary {
  thresholds?: readonly {
    metric: string;
    expr: string;
    blocking: boolean;
    value: number | null;
    passed: boolean;
  }[];
  anomalies?: readonly {
    metric: string;
    windows: [number, number];
    kind: string;
    size: number;
    baseline: number;
    peak: number;
    causes: readonly { label: string }[];
    generator_limited: boolean;
  }[];
  compare?: unknown;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;

function thresholdItems(summary: NotifySummary): NotifyItem[] {
  const out: NotifyItem[] = [];
  for (const t of summary.thresholds ?? []) {
    if (t.passed) continue;
    let scenario = 'all';
    let metric = t.metric;
    let percentile: string | null = null;
    let limit: number | null = null;
    try {
      const parsed = parseThreshold(t.metric, t.expr);
      scenario = parsed.step !== undefined ? `step:${parsed.step}` : (parsed.scenario ?? 'all');
      metric = parsed.name;
      if (parsed.stat?.kind === 'percentile') percentile = formatStat(parsed.stat);
      limit = parsed.value;
    } catch {
      // A summary from another version: the raw key still says what failed.
    }
    const delta = t.value === null || limit === null ? null : round(t.value - limit);
    out.push({
      scenario,
      metric,
      percentile,
      value: t.value,
      baseline: null,
      limit,
      delta,
      relative: delta === null || limit === null || limit === 0 ? null : round(delta / limit, 4),
      interval: null,
      detail: `${t.metric}: ${t.expr} failed (value ${t.value ?? 'no data'})${t.blocking ? '' : ' [advisory]'}`,
    });
  }
  return out;
}

/** A comparison row as analysis/compare gives it: `summary.compare.rows`, `.compare.comparison.rows`, or a list of either. */
interface RowLike {
  scenario?: unknown;
  metric?: unknown;
  stat?: unknown;
  baseline?: unknown;
  candidate?: unknown;
  delta?: unknown;
  relative?: unknown;
  ci?: unknown;
  verdict?: unknown;
}

function compareRows(section: unknown): RowLike[] {
  if (Array.isArray(section)) return section.flatMap(compareRows);
  if (section === null || typeof section !== 'object') return [];
  const s = section as { rows?: unknown; comparison?: { rows?: unknown } };
  const rows = Array.isArray(s.rows) ? s.rows : Array.isArray(s.comparison?.rows) ? s.comparison.rows : [];
  return rows.filter((r): r is RowLike => r !== null && typeof r === 'object');
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function regressionItems(summary: NotifySummary): NotifyItem[] {
  return compareRows(summary.compare)
    .filter((r) => r.verdict === 'regression')
    .map((r) => {
      const stat = typeof r.stat === 'string' ? r.stat : 'value';
      const ci = r.ci as { low?: unknown; high?: unknown } | null | undefined;
      const low = num(ci?.low);
      const high = num(ci?.high);
      const metric = String(r.metric ?? '?');
      const relative = num(r.relative);
      return {
        scenario: typeof r.scenario === 'string' ? r.scenario : 'all',
        metric,
        percentile: /^p\d/.test(stat) ? stat : null,
        value: num(r.candidate),
        baseline: num(r.baseline),
        limit: null,
        delta: num(r.delta),
        relative,
        interval: low === null || high === null ? null : { low, high },
        detail: `${metric}${stat === 'value' ? '' : ` ${stat}`}: ${num(r.baseline)} -> ${num(r.candidate)}${
          relative === null ? '' : ` (${relative >= 0 ? '+' : ''}${round(relative * 100, 1)}%)`
        }${low === null || high === null ? '' : `, delta CI [${round(low)}, ${round(high)}]`}`,
      };
    });
}

function anomalyItems(summary: NotifySummary): NotifyItem[] {
  return (summary.anomalies ?? []).map((a) => {
    const dot = a.metric.lastIndexOf('.');
    const tail = dot < 0 ? '' : a.metric.slice(dot + 1);
    const percentile = /^p\d/.test(tail) ? tail : null;
    const metric = percentile === null ? a.metric : a.metric.slice(0, dot);
    const delta = round(a.peak - a.baseline);
    const causes = a.causes.map((c) => c.label).join('; ');
    return {
      scenario: 'all',
      metric,
      percentile,
      value: a.peak,
      baseline: a.baseline,
      limit: null,
      delta,
      relative: a.baseline === 0 ? null : round(delta / a.baseline, 4),
      interval: null,
      detail: `${a.metric} ${a.kind} at ${a.windows[0]}-${a.windows[1]} s: ${a.baseline} -> ${a.peak}${
        causes === '' ? '' : ` (likely: ${causes})`
      }${a.generator_limited ? ' [generator-limited: the tester was late, not the target]' : ''}`,
    };
  });
}

/** What happened in the run, by event kind (empty lists for kinds that did not happen). */
export function notifyItems(summary: NotifySummary): Record<NotifyEvent, NotifyItem[]> {
  return {
    threshold: thresholdItems(summary),
    regression: regressionItems(summary),
    anomaly: anomalyItems(summary),
  };
}

const HEADLINE: Record<NotifyEvent, (n: number) => string> = {
  threshold: (n) => `${n} threshold${n === 1 ? '' : 's'} failed`,
  regression: (n) => `${n} regression${n === 1 ? '' : 's'} against the baseline`,
  anomaly: (n) => `${n} anomal${n === 1 ? 'y' : 'ies'} during the run`,
};

function gitText(ctx: NotifyContext): string {
  if (ctx.git === undefined) return 'no git checkout';
  return `${ctx.git.commit.slice(0, 12)}${ctx.git.branch === undefined ? '' : ` (${ctx.git.branch})`}${
    ctx.git.dirty ? ' dirty' : ''
  }`;
}

/** The `generic` payload: one JSON document per event kind. */
export function genericPayload(event: NotifyEvent, items: readonly NotifyItem[], ctx: NotifyContext) {
  return {
    schema: 'tokenstorm.notification/v1',
    event,
    summary: `${ctx.test}: ${HEADLINE[event](items.length)}`,
    test: ctx.test,
    target: ctx.target,
    commit: ctx.git?.commit ?? null,
    branch: ctx.git?.branch ?? null,
    dirty: ctx.git?.dirty ?? null,
    started_at: ctx.startedAt,
    passed: ctx.passed,
    run_dir: ctx.runDir,
    report: ctx.report,
    items,
  };
}

/** Slack allows 50 blocks and 3000 characters per section text. */
const SLACK_MAX_ITEMS = 20;

function slackLine(item: NotifyItem): string {
  const fig = (x: number | null) => (x === null ? '-' : String(round(x)));
  const parts = [
    `*${item.scenario}* \`${item.metric}${item.percentile === null ? '' : ` ${item.percentile}`}\``,
    `value ${fig(item.value)}`,
  ];
  if (item.baseline !== null) parts.push(`baseline ${fig(item.baseline)}`);
  if (item.limit !== null) parts.push(`limit ${fig(item.limit)}`);
  if (item.delta !== null) parts.push(`delta ${fig(item.delta)}`);
  if (item.interval !== null) parts.push(`CI [${fig(item.interval.low)}, ${fig(item.interval.high)}]`);
  return `${parts.join(' | ')}\n${item.detail}`.slice(0, 2900);
}

/** The `slack` payload: an incoming-webhook message (`text` for notifications, `blocks` for the channel). */
export function slackPayload(event: NotifyEvent, items: readonly NotifyItem[], ctx: NotifyContext) {
  const text = `tokenstorm: ${ctx.test}: ${HEADLINE[event](items.length)} (target ${ctx.target}, ${gitText(ctx)})`;
  const shown = items.slice(0, SLACK_MAX_ITEMS);
  const blocks: Record<string, unknown>[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: `${ctx.test}: ${HEADLINE[event](items.length)}`.slice(0, 150) },
    },
    {
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: `*Test*\n${ctx.test}` },
        { type: 'mrkdwn', text: `*Target*\n${ctx.target}` },
        { type: 'mrkdwn', text: `*Commit*\n${gitText(ctx)}` },
        { type: 'mrkdwn', text: `*Run*\n${ctx.passed ? 'passed' : 'failed'}, started ${ctx.startedAt}` },
      ],
    },
    ...shown.map((item) => ({ type: 'section', text: { type: 'mrkdwn', text: slackLine(item) } })),
  ];
  if (items.length > shown.length) {
    blocks.push({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: `and ${items.length - shown.length} more in summary.json` }],
    });
  }
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Run directory: \`${ctx.runDir}\`\nReport: \`${ctx.report}\`` }],
  });
  return { text, blocks };
}
