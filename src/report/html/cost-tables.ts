/**
 * @module report/html/cost-tables
 * The report's cost section: total and per-request cost, cost by model and by
 * stage (routing under load and the linearity verdict), the budget and the
 * capacity plan. Numbers carry `data-metric` paths into summary.json, as the
 * other tables do.
 */
import { escapeHtml } from '../html-escape.js';
import { formatCount, formatMs, formatPercent, formatRate, formatUsd } from '../number-format.js';
import type { Summary } from '../summary.js';
import { numCell, table } from './cells.js';

/** A number cell of these tables (`null`: no value, as in a plan without replica figures). */
function cell(metric: string, value: number | null, text: string): string {
  return numCell(metric, value, text, 'td', 'num');
}

/** Cost, by model and by stage; empty when the run had no model requests. */
export function costSection(s: Summary): string {
  const cost = s.cost;
  if (cost === undefined) return '';
  const perRequest = cost.per_request ?? undefined;
  const parts: string[] = [
    table(
      ['cost', 'USD'],
      [
        `<tr><td>total</td>${cell('cost.total_usd', cost.total_usd, formatUsd(cost.total_usd))}</tr>`,
        // Nothing priced: no per-request distribution in summary.json, so no number claims to be one.
        `<tr><td>a request (mean)</td>${perRequest === undefined ? '<td class="num">-</td>' : cell('cost.per_request.mean', perRequest.mean, formatUsd(perRequest.mean))}</tr>`,
        `<tr><td>a request (p95)</td>${perRequest === undefined ? '<td class="num">-</td>' : cell('cost.per_request.p95', perRequest.p95, formatUsd(perRequest.p95))}</tr>`,
        `<tr><td>per 1,000 requests</td>${cell('cost.per_1000_requests_usd', cost.per_1000_requests_usd, formatUsd(cost.per_1000_requests_usd))}</tr>`,
        `<tr><td>requests billable</td>${cell('cost.billable', cost.billable, formatCount(cost.billable))}</tr>`,
        `<tr><td>of which priced</td>${cell('cost.priced', cost.priced, formatCount(cost.priced))}</tr>`,
      ],
    ),
  ];
  const models = Object.entries(s.models ?? {});
  if (models.length > 0) {
    parts.push(
      table(
        ['model', 'share', 'requests', 'errors', 'TTFT p95 (ms)', 'E2E p95 (ms)', 'cost', 'a request'],
        models.map(([name, m]) => {
          const base = `models.${name}`;
          return `<tr><td>${escapeHtml(name)}</td>${cell(`${base}.share`, m.share, formatPercent(m.share))}${cell(`${base}.counts.requests`, m.counts.requests, formatCount(m.counts.requests))}${cell(`${base}.counts.errors`, m.counts.errors, formatCount(m.counts.errors))}${cell(`${base}.metrics.ttft_ms.p95`, m.metrics.ttft_ms?.p95 ?? 0, formatMs(m.metrics.ttft_ms?.p95 ?? 0))}${cell(`${base}.metrics.e2e_ms.p95`, m.metrics.e2e_ms?.p95 ?? 0, formatMs(m.metrics.e2e_ms?.p95 ?? 0))}${m.priced === 0 ? '<td class="num">unpriced</td>' : cell(`${base}.cost_usd`, m.cost_usd, formatUsd(m.cost_usd))}<td class="num">${m.priced === 0 ? '-' : escapeHtml(formatUsd(m.cost_usd / m.priced))}</td></tr>`;
        }),
      ),
    );
  }
  const stages = s.model_stages ?? [];
  if (stages.length > 0) {
    const names = [...new Set(stages.flatMap((st) => Object.keys(st.share)))].sort();
    const byStage = new Map((cost.by_stage ?? []).map((st) => [st.stage, st]));
    parts.push(
      table(
        ['stage', ...names.map((n) => `${n} share`), 'a request', 'cost'],
        stages.map((st, i) => {
          const c = byStage.get(st.stage);
          return `<tr><td>${escapeHtml(st.stage)}</td>${names.map((n) => cell(`model_stages.${i}.share.${n}`, st.share[n] ?? 0, formatPercent(st.share[n] ?? 0))).join('')}${cell(`cost.by_stage.${st.stage}.per_request_usd`, c?.per_request_usd ?? 0, formatUsd(c?.per_request_usd ?? 0))}${cell(`cost.by_stage.${st.stage}.total_usd`, c?.total_usd ?? 0, formatUsd(c?.total_usd ?? 0))}</tr>`;
        }),
      ),
    );
  }
  const lin = cost.linearity;
  parts.push(
    `<p class="${lin.verdict === 'grows' ? 'warn' : 'muted'}" data-verdict="${escapeHtml(lin.verdict)}">Cost per request by load: ${escapeHtml(lin.verdict)}${lin.ratio === null ? '' : ` (×${escapeHtml(lin.ratio)} from the lightest stage to the heaviest)`}${lin.note === undefined ? '' : `: ${escapeHtml(lin.note)}`}</p>`,
  );
  if (cost.budget !== undefined) {
    const caps = Object.entries(cost.budget)
      .filter(([k]) => k !== 'stopped')
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    parts.push(
      `<p class="${cost.budget.stopped === undefined ? 'muted' : 'warn'}">Budget: ${escapeHtml(caps)}${cost.budget.stopped === undefined ? '' : `; ${escapeHtml(cost.budget.stopped)}`}</p>`,
    );
  }
  for (const note of cost.notes) parts.push(`<p class="warn">${escapeHtml(note)}</p>`);
  return parts.join('');
}

/** The capacity plan for the test's `plan:`; empty without one. */
export function capacityPlanSection(s: Summary): string {
  const p = s.capacity_plan;
  if (p === undefined) return '';
  const usd = (v: number | null) => (v === null ? 'n/a' : formatUsd(v));
  const rows = [
    `<tr><td>target (req/s)</td>${cell('capacity_plan.target_rps', p.target_rps, formatRate(p.target_rps))}</tr>`,
    `<tr><td>with headroom (req/s)</td>${cell('capacity_plan.provisioned_rps', p.provisioned_rps, formatRate(p.provisioned_rps))}</tr>`,
    `<tr><td>a replica (req/s, ${escapeHtml(p.replica_rps_from)})</td>${cell('capacity_plan.replica_rps', p.replica_rps, p.replica_rps === null ? 'n/a' : formatRate(p.replica_rps))}</tr>`,
    `<tr><td>replicas</td>${cell('capacity_plan.replicas', p.replicas, p.replicas === null ? 'n/a' : formatCount(p.replicas))}</tr>`,
    `<tr><td>cost an hour</td>${cell('capacity_plan.cost_per_hour_usd.total', p.cost_per_hour_usd.total, usd(p.cost_per_hour_usd.total))}</tr>`,
    `<tr><td>cost per 1,000 requests</td>${cell('capacity_plan.cost_per_1000_requests_usd.total', p.cost_per_1000_requests_usd.total, usd(p.cost_per_1000_requests_usd.total))}</tr>`,
  ];
  return (
    table(['plan', 'value'], rows) + p.notes.map((n) => `<p class="muted">${escapeHtml(n)}</p>`).join('')
  );
}
