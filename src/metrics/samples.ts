/**
 * @module metrics/samples
 * Which values a record contributes to which metric (DESIGN.md §2). One place,
 * so totals, scenarios, windows and SLOs cannot disagree.
 */
import { isModelKind, outputTokensOf, type RequestRecord } from '../core/index.js';
import type { MetricName } from './summary-core.js';

/** Metrics with at most one value per record (all but the pooled `itl_ms`). */
export type ScalarMetric = Exclude<MetricName, 'itl_ms'>;

/** Records of a model kind (chat, completion, …: protocols/steps); plain HTTP steps never feed model metrics. */
export function isModelStep(r: RequestRecord): boolean {
  return isModelKind(r.kind);
}

function isOkModel(r: RequestRecord): boolean {
  return r.outcome === 'ok' && isModelStep(r);
}

function e2eOf(r: RequestRecord): number | undefined {
  if (r.outcome !== 'ok') return undefined;
  return r.e2eMs ?? r.end - r.sent;
}

function ttftOf(r: RequestRecord): number | undefined {
  return isOkModel(r) ? r.ttftMs : undefined;
}

function tpotOf(r: RequestRecord): number | undefined {
  if (!isOkModel(r)) return undefined;
  if (r.tpotMs !== undefined) return r.tpotMs;
  // Older or partial records: derive it from the definition.
  const out = outputTokensOf(r);
  const e2e = e2eOf(r);
  if (out === undefined || out <= 1 || e2e === undefined || r.ttftMs === undefined) return undefined;
  return (e2e - r.ttftMs) / (out - 1);
}

/**
 * When the logical request `r` ends began (its first attempt's send), or
 * undefined when `r` is an attempt that was retried: only a logical request's
 * last attempt stands for it.
 */
export function logicalStartOf(r: RequestRecord): number | undefined {
  if (r.logicalSent !== undefined) return r.logicalSent;
  return r.attempt === undefined ? r.sent : undefined;
}

/** `value` (from the attempt's send) measured from its logical request's first send instead. */
function fromLogicalStart(r: RequestRecord, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (r.logicalSent === undefined) return r.attempt === undefined ? value : undefined;
  return Math.round((r.sent - r.logicalSent + value) * 1000) / 1000;
}

function plusLag(r: RequestRecord, value: number | undefined): number | undefined {
  return value === undefined ? undefined : value + r.schedulingLagMs;
}

/** The value `r` contributes to `metric`, or undefined when the metric does not apply to it. */
export function sampleOf(r: RequestRecord, metric: ScalarMetric): number | undefined {
  switch (metric) {
    case 'ttft_ms':
      return ttftOf(r);
    case 'tpot_ms':
      return tpotOf(r);
    case 'e2e_ms':
      return e2eOf(r);
    case 'e2e_logical_ms':
      return fromLogicalStart(r, e2eOf(r));
    case 'ttft_logical_ms':
      return fromLogicalStart(r, ttftOf(r));
    case 'ttfb_ms':
      return r.ttfbMs;
    case 'scheduling_lag_ms':
      return r.schedulingLagMs;
    case 'ttft_from_schedule_ms':
      return plusLag(r, ttftOf(r));
    case 'e2e_from_schedule_ms':
      return plusLag(r, e2eOf(r));
    case 'input_tokens':
      return isOkModel(r) ? (r.inputTokens ?? r.inputTokensClient) : undefined;
    case 'output_tokens':
      return isOkModel(r) ? outputTokensOf(r) : undefined;
    case 'ttfc_ms':
      return isOkModel(r) ? r.ttfcMs : undefined;
    case 'reasoning_tokens':
      return isOkModel(r) ? r.reasoningTokens : undefined;
    case 'reasoning_ms':
      return isOkModel(r) ? r.reasoningMs : undefined;
    case 'tpot_reasoning_ms':
      return isOkModel(r) ? r.tpotReasoningMs : undefined;
    case 'tpot_content_ms':
      return isOkModel(r) ? r.tpotContentMs : undefined;
  }
}

/** Inter-token gaps of `r`, pooled into `itl_ms`: ok model records only. */
export function itlOf(r: RequestRecord): readonly number[] {
  return isOkModel(r) && r.itlMs !== undefined ? r.itlMs : [];
}
