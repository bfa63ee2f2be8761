/**
 * @module analysis/cost
 * summary.json `cost`: what the run cost by the price table (metrics/prices),
 * in total, per request, per 1,000 requests, per scenario, stage and model,
 * which models were not priced, and whether cost per request grows with load
 * (longer answers, more retries, a router choosing a dearer model). Pure: from
 * the measured summary and the histograms.
 */
import {
  type MetricStats,
  type ModelPrice,
  type ModelSummary,
  type PriceTable,
  priceOf,
  type StageSummary,
  type SummaryCore,
} from '../metrics/index.js';

/** Per-request cost must rise by more than this fraction from the lightest stage to the heaviest to be flagged. */
export const LINEARITY_TOLERANCE = 0.1;
/** Priced requests a stage needs to take part in the linearity verdict. */
export const LINEARITY_MIN_REQUESTS = 5;

export interface CostGroup {
  requests: number;
  /** Requests priced (an answer came back, or the server reported usage, and the model has a price). */
  priced: number;
  total_usd: number;
  /** Mean USD of a priced request. */
  per_request_usd: number;
}

export interface StageCost extends CostGroup {
  stage: string;
  /** The stage's load (its target: arrivals/s or VUs), else its offered arrivals/s. */
  load: number;
}

/** Cost per request by load level. */
export interface CostLinearity {
  /** `grows`: per-request cost rose with load beyond the tolerance; `flat`: it did not; `unknown`: fewer than two stages to compare. */
  verdict: 'grows' | 'flat' | 'unknown';
  /** Per-request USD of the heaviest stage over the lightest's (1 = flat). */
  ratio: number | null;
  tolerance: number;
  /** The stages compared, by load (lightest first). */
  by_load: { stage: string; load: number; per_request_usd: number; priced: number }[];
  note?: string;
}

export interface CostBudgetStatus {
  max_cost_usd?: number | undefined;
  max_tokens?: number | undefined;
  max_requests?: number | undefined;
  /** Why the run stopped at its budget, when it did. */
  stopped?: string | undefined;
}

export interface CostSummary {
  currency: 'USD';
  total_usd: number;
  /** Request attempts; `billable`: those a provider bills (an answer, or usage); `priced`: billable with a price. */
  requests: number;
  billable: number;
  priced: number;
  /** Billable requests whose model has no price: counted here, not in the total. */
  unpriced: number;
  /** Priced requests billed by the client's token count (the server reported no usage). */
  estimated: number;
  /** Distribution of a priced request's USD. */
  per_request: MetricStats | null;
  /** Total over priced requests, times 1,000. */
  per_1000_requests_usd: number;
  by_scenario: Record<string, CostGroup>;
  by_stage?: StageCost[];
  by_model: Record<string, CostGroup & { unpriced: number; estimated: number }>;
  linearity: CostLinearity;
  /** The prices the run used, for each model that answered and has one. */
  prices: Record<string, ModelPrice & { priced_as: string }>;
  notes: string[];
  budget?: CostBudgetStatus;
}

function usd(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** A group's cost; `exact`: its exact sum when known (the mean of a summary is rounded to nano-dollars). */
function group(requests: number, stats: MetricStats | undefined, exact?: number): CostGroup {
  const priced = stats?.count ?? 0;
  const total = priced === 0 ? 0 : usd(exact ?? (stats as MetricStats).mean * priced);
  return { requests, priced, total_usd: total, per_request_usd: priced === 0 ? 0 : usd(total / priced) };
}

function stageLoad(s: StageSummary): number {
  return s.target ?? s.flow.offered_per_s;
}

/** Per-request cost of the stages by load, and whether it grows. */
export function costLinearity(stages: readonly StageCost[]): CostLinearity {
  const by = stages
    .filter((s) => s.priced >= LINEARITY_MIN_REQUESTS)
    .map((s) => ({ stage: s.stage, load: s.load, per_request_usd: s.per_request_usd, priced: s.priced }))
    .sort((a, b) => a.load - b.load);
  const base = { tolerance: LINEARITY_TOLERANCE, by_load: by };
  const first = by[0];
  const last = by[by.length - 1];
  if (by.length < 2 || first === undefined || last === undefined || last.load <= first.load) {
    return {
      verdict: 'unknown',
      ratio: null,
      ...base,
      note: `needs two stages of different load with at least ${LINEARITY_MIN_REQUESTS} priced requests each`,
    };
  }
  if (first.per_request_usd === 0)
    return { verdict: 'unknown', ratio: null, ...base, note: 'the lightest stage cost nothing' };
  const ratio = Math.round((last.per_request_usd / first.per_request_usd) * 1000) / 1000;
  return { verdict: ratio > 1 + LINEARITY_TOLERANCE ? 'grows' : 'flat', ratio, ...base };
}

export interface CostInput {
  core: SummaryCore;
  /** The run's price table (shipped prices with the test's `pricing:` over them). */
  prices: PriceTable;
  budget?: CostBudgetStatus | undefined;
  /** The exact USD of the run (no argument) or a scenario, from its histogram's sum, when known. */
  sumOf?: ((scenario?: string) => number | undefined) | undefined;
}

/** summary.json `cost`, or undefined when no request of the run had a model (no model steps). */
export function costSummary({ core, prices, budget, sumOf }: CostInput): CostSummary | undefined {
  const models: Record<string, ModelSummary> = core.models ?? {};
  if (Object.keys(models).length === 0 && budget === undefined) return undefined;
  const perRequest = core.metrics.cost_usd;
  const priced = perRequest?.count ?? 0;
  const total = priced === 0 ? 0 : usd(sumOf?.() ?? (perRequest as MetricStats).mean * priced);
  let billable = 0;
  let estimated = 0;
  const byModel: CostSummary['by_model'] = {};
  const used: CostSummary['prices'] = {};
  const notes: string[] = [];
  for (const [name, m] of Object.entries(models)) {
    billable += m.billable;
    estimated += m.estimated;
    byModel[name] = {
      requests: m.counts.requests,
      priced: m.priced,
      total_usd: usd(m.cost_usd),
      per_request_usd: m.priced === 0 ? 0 : usd(m.cost_usd / m.priced),
      unpriced: m.billable - m.priced,
      estimated: m.estimated,
    };
    const found = priceOf(name, prices);
    if (found !== undefined) used[name] = { ...found.price, priced_as: found.model };
    else if (m.billable > 0) {
      notes.push(
        `model "${name}" has no price: its ${m.billable} billable request${m.billable === 1 ? '' : 's'} are not in the total (add it under pricing:)`,
      );
    }
  }
  if (estimated > 0) {
    notes.push(
      `${estimated} request${estimated === 1 ? ' was' : 's were'} priced by the client's token count (the server reported no usage)`,
    );
  }
  const byScenario = Object.fromEntries(
    Object.entries(core.scenarios).map(([name, s]) => [
      name,
      group(s.counts.requests, s.metrics.cost_usd, sumOf?.(name)),
    ]),
  );
  const out: CostSummary = {
    currency: 'USD',
    total_usd: total,
    requests: core.counts.requests,
    billable,
    priced,
    unpriced: billable - priced,
    estimated,
    per_request: perRequest ?? null,
    per_1000_requests_usd: priced === 0 ? 0 : usd((total / priced) * 1000),
    by_scenario: byScenario,
    by_model: byModel,
    linearity: costLinearity([]),
    prices: used,
    notes,
  };
  if (core.stages !== undefined) {
    // A stage's exact USD: the sum of its models' (model_stages keeps nano-dollar sums).
    const exact = new Map<string, number>();
    for (const st of core.model_stages ?? [])
      exact.set(
        `${st.stage}@${st.start}`,
        Object.values(st.cost_usd).reduce((a, b) => a + b, 0),
      );
    const stages = core.stages
      .filter((s) => !s.warmup)
      .map((s) => ({
        stage: s.name,
        load: stageLoad(s),
        ...group(s.counts.requests, s.metrics.cost_usd, exact.get(`${s.name}@${s.start}`)),
      }));
    out.by_stage = stages;
    out.linearity = costLinearity(stages);
  } else
    out.linearity = { ...costLinearity([]), note: 'no stages: run a staged load to see cost by load level' };
  if (out.linearity.verdict === 'grows') {
    notes.push(
      `cost per request grows with load: ×${out.linearity.ratio} from the lightest stage to the heaviest`,
    );
  }
  if (budget !== undefined) out.budget = budget;
  return out;
}
