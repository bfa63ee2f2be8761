/**
 * @module report/markdown
 * `--markdown FILE`: a compact summary for a GitHub step summary
 * (`$GITHUB_STEP_SUMMARY`) or a pull-request comment: verdict, key numbers,
 * latency percentiles, errors and every threshold.
 */
import { logicalOf } from './figures.js';
import { formatCount, formatMs, formatPercent, formatRate, formatUsd, formatValue } from './number-format.js';
import type { Summary } from './summary.js';

/** `|` and line breaks would end a table cell early. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
}

function row(cells: readonly string[]): string {
  return `| ${cells.map(cell).join(' | ')} |`;
}

function tableOf(head: readonly string[], rows: readonly (readonly string[])[], align?: string): string[] {
  return [row(head), align ?? row(head.map((_, i) => (i === 0 ? '---' : '---:'))), ...rows.map(row)];
}

const LATENCY = [
  ['TTFT', 'ttft_ms'],
  ['ITL', 'itl_ms'],
  ['TPOT', 'tpot_ms'],
  ['E2E', 'e2e_ms'],
] as const;

/** The Markdown summary of a run. */
export function renderMarkdown(summary: Summary): string {
  const c = summary.counts;
  const r = summary.rates;
  const blocking = summary.thresholds.filter((t) => t.blocking);
  const failed = blocking.filter((t) => !t.passed).length;
  const l = logicalOf(summary);
  const unchecked = `${l.error_rate > 0.5 ? '❌' : '⚠️'} **NO THRESHOLDS** — ${formatCount(l.requests)} requests, ${formatPercent(l.error_rate)} errors${l.error_rate > 0.5 ? ': most requests failed' : ''}`;
  const verdict =
    summary.complete === false
      ? `⚠️ **INCOMPLETE** — ${summary.incomplete ?? 'the run did not finish'}`
      : failed === 0 && (summary.compare?.failed.length ?? 0) > 0
        ? `❌ **FAILED** — compare.fail_on regressed: ${cell((summary.compare?.failed ?? []).join(', '))}`
        : blocking.length === 0
          ? unchecked
          : summary.passed
            ? `✅ **PASSED** — all ${blocking.length} blocking threshold(s) passed`
            : `❌ **FAILED** — ${failed} of ${blocking.length} blocking threshold(s) failed`;
  const lines = [
    `### tokenstorm: ${cell(summary.name)}`,
    '',
    verdict,
    '',
    `Started ${summary.startedAt}, measured ${summary.durationS.toFixed(1)} s.`,
    '',
    ...tableOf(
      [
        'requests',
        'ok',
        'errors',
        'cancelled',
        'dropped',
        'error rate',
        'req/s',
        'output tok/s',
        'goodput/s',
      ],
      [
        [
          formatCount(c.requests),
          formatCount(c.ok),
          formatCount(c.errors),
          formatCount(c.cancelled),
          formatCount(c.dropped),
          formatPercent(r.error_rate),
          formatRate(r.requests_per_s),
          formatRate(r.output_tokens_per_s),
          formatRate(r.goodput_per_s),
        ],
      ],
      row(Array(9).fill('---:')),
    ),
    '',
    ...tableOf(
      ['latency (ms)', 'p50', 'p90', 'p95', 'p99', 'max'],
      LATENCY.map(([label, key]) => {
        const m = summary.metrics[key];
        return [label, ...(['p50', 'p90', 'p95', 'p99', 'max'] as const).map((s) => formatMs(m?.[s] ?? 0))];
      }),
    ),
  ];
  const cost = summary.cost;
  if (cost !== undefined && cost.priced > 0) {
    // One line: what the run cost, and whether a request costs more under load.
    const growth =
      cost.linearity.verdict === 'grows'
        ? `; cost per request grows with load (×${cost.linearity.ratio})`
        : '';
    lines.push(
      '',
      `Cost: ${formatUsd(cost.total_usd)} (${formatUsd(cost.per_1000_requests_usd)} per 1,000 requests)${growth}.`,
    );
  }
  const kinds = Object.entries(c.byError);
  if (kinds.length > 0) {
    lines.push(
      '',
      ...tableOf(
        ['error', 'count'],
        kinds.map(([k, n]) => [k, formatCount(n)]),
      ),
    );
  }
  if (summary.thresholds.length > 0) {
    lines.push(
      '',
      ...tableOf(
        ['', 'threshold', 'observed', 'kind'],
        summary.thresholds.map((t) => [
          t.passed ? '✅' : t.blocking ? '❌' : '⚠️',
          `\`${t.metric}: ${t.expr}\``,
          t.note === undefined ? formatValue(t.value) : `${formatValue(t.value)} (${t.note})`,
          t.blocking ? 'blocking' : 'non-blocking',
        ]),
        row(['---', '---', '---:', '---']),
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
