/**
 * @module analysis/threshold-expr
 * Parser of k6-style thresholds: a metric key such as `ttft_ms` or
 * `e2e_ms{scenario:chat}`, and an expression such as `p99 < 2000`.
 */
import {
  COUNT_NAMES,
  EMBEDDING_RATE_NAMES,
  LOGICAL_COUNT_NAMES,
  LOGICAL_RATE_NAMES,
  METRIC_NAMES,
  needsOwnTally,
  parseSelector,
  RATE_NAMES,
  type Selector,
} from '../metrics/index.js';
import { QUALITY_THRESHOLD_NAMES } from './quality.js';

export type ThresholdOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/** `pNN` (any percentile 0..100), or an exact statistic; `avg` parses as `mean`. */
export type ThresholdStat =
  | { kind: 'percentile'; p: number }
  | { kind: 'min' | 'max' | 'mean' | 'count' | 'rate' };

export interface ParsedThreshold {
  /** Undefined when the expression has none (`< 0.01`). */
  stat: ThresholdStat | undefined;
  op: ThresholdOp;
  value: number;
}

/** `histogram`: latency/token metrics; `rate`: per-second rates and error_rate; `count`: counters. */
export type ThresholdMetricKind = 'histogram' | 'rate' | 'count';

export interface ThresholdMetric {
  name: string;
  kind: ThresholdMetricKind;
  /** From a `{scenario:NAME}` selector; undefined for the whole run. */
  scenario: string | undefined;
  /** From a `{step:NAME}` selector (a step's name, across scenarios); undefined for every step. */
  step?: string | undefined;
  /**
   * The whole selector when it needs a tally of its own (a stage, turn, model or tag, or a
   * scenario and a step together): the records it picks are counted apart (metrics/selectors).
   */
  selector?: Selector | undefined;
  /** From `{check:NAME}` on `checks`: that check's pass rate. */
  check?: string | undefined;
}

const OPERATORS: readonly ThresholdOp[] = ['<=', '>=', '==', '!=', '<', '>'];
const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const PERCENTILE = /^p(?:(\d+(?:\.\d+)?)|\((\d+(?:\.\d+)?)\))$/;
const STAT_HELP = 'p50, p99.9 (any pNN), min, max, mean, avg, count or rate';
const HISTOGRAM_STATS_HELP = 'p50, p99.9 (any pNN), min, max, mean, avg or count';

const KINDS = new Map<string, ThresholdMetricKind>([
  ...METRIC_NAMES.map((n) => [n, 'histogram'] as const),
  ...RATE_NAMES.map((n) => [n, 'rate'] as const),
  // Vectors and embedded input tokens per second of `embedding:` steps (no data without one).
  ...EMBEDDING_RATE_NAMES.map((n) => [n, 'rate'] as const),
  ...COUNT_NAMES.map((n) => [n, 'count'] as const),
  ...LOGICAL_RATE_NAMES.map((n) => [n, 'rate'] as const),
  ...LOGICAL_COUNT_NAMES.map((n) => [n, 'count'] as const),
  // Means and rates of the answers' quality (analysis/quality): a value each, like a rate.
  ...QUALITY_THRESHOLD_NAMES.map((n) => [n, 'rate'] as const),
  /** USD the run (or a scenario, a step) spent by the price table: `cost_total_usd: ['< 5']`. */
  ['cost_total_usd', 'count'] as const,
  // The pass rate of step checks (0..1), of every check or of one (`checks{check:json}`).
  ['checks', 'rate'],
]);

/** Writes a statistic back as a user would: `p99.9`, `mean`. */
export function formatStat(stat: ThresholdStat): string {
  return stat.kind === 'percentile' ? `p${stat.p}` : stat.kind;
}

function parseStat(text: string): ThresholdStat {
  const lower = text.toLowerCase();
  if (lower === 'avg' || lower === 'mean') return { kind: 'mean' };
  if (lower === 'med') return { kind: 'percentile', p: 50 };
  if (lower === 'min' || lower === 'max' || lower === 'count' || lower === 'rate') return { kind: lower };
  const m = PERCENTILE.exec(lower);
  if (m !== null) {
    const p = Number(m[1] ?? m[2]);
    if (p > 100) throw new Error(`percentile "${text}" is above 100`);
    return { kind: 'percentile', p };
  }
  throw new Error(`unknown statistic "${text}" (expected ${STAT_HELP})`);
}

function findOperator(expr: string): { op: ThresholdOp; at: number } | undefined {
  for (let i = 0; i < expr.length; i++) {
    for (const op of OPERATORS) if (expr.startsWith(op, i)) return { op, at: i };
    if (expr[i] === '=') return undefined;
  }
  return undefined;
}

/**
 * Parses the key of a thresholds entry: a known metric name, optionally with
 * a selector of comma-separated tags (`{scenario:chat}`, `{step:NAME}`,
 * `{stage:peak,model:gpt-4o-mini}`, `{turn:3}`, `{tag:rag}`, `{check:json}`; see
 * metrics/selectors). Throws a message naming what was expected.
 */
export function parseThresholdMetric(key: string): ThresholdMetric {
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)\s*(?:\{([^}]*)\})?\s*$/.exec(key);
  if (m === null) {
    throw new Error(
      `invalid threshold metric "${key}" (expected a name such as ttft_ms or e2e_ms{scenario:chat})`,
    );
  }
  const name = m[1] as string;
  const kind = KINDS.get(name);
  if (kind === undefined) {
    throw new Error(`unknown metric "${name}" (expected one of ${[...KINDS.keys()].join(', ')})`);
  }
  const text = m[2];
  if (text === undefined) return { name, kind, scenario: undefined };
  const selector = parseSelector(text, key);
  if (selector.check !== undefined && name !== 'checks') {
    throw new Error(`{check:…} selects a check: it applies to "checks" only, not ${name}`);
  }
  const out: ThresholdMetric = { name, kind, scenario: selector.scenario };
  if (selector.step !== undefined) out.step = selector.step;
  if (selector.check !== undefined) out.check = selector.check;
  if (needsOwnTally(selector)) out.selector = selector;
  return out;
}

/**
 * Parses `[stat] op number`, e.g. `p99 < 2000`, `p99.9 <= 5000`, `< 0.01`.
 * With `metric` (a thresholds key), also checks that the statistic suits it:
 * latency and token metrics need one, rates take none.
 */
export function parseThresholdExpr(expr: string, metric?: string): ParsedThreshold {
  const found = findOperator(expr);
  if (found === undefined) {
    const hint = expr.includes('=') ? ' (use == for equality)' : '';
    throw new Error(`invalid threshold "${expr}": expected an operator (<, <=, >, >=, ==, !=)${hint}`);
  }
  const left = expr.slice(0, found.at).trim();
  const right = expr.slice(found.at + found.op.length).trim();
  let stat: ThresholdStat | undefined;
  try {
    stat = left === '' ? undefined : parseStat(left);
  } catch (err) {
    throw new Error(`invalid threshold "${expr}": ${(err as Error).message}`);
  }
  if (!NUMBER.test(right)) {
    const got = right === '' ? 'nothing' : `"${right}"`;
    throw new Error(`invalid threshold "${expr}": expected a number after "${found.op}", got ${got}`);
  }
  const parsed: ParsedThreshold = { stat, op: found.op, value: Number(right) };
  if (metric !== undefined) checkStatFits(parseThresholdMetric(metric), parsed, expr);
  return parsed;
}

/** A whole thresholds entry: what to observe and how to judge it. */
export type ParsedThresholdEntry = ThresholdMetric & ParsedThreshold;

/** Parses a whole entry, key and expression, as the evaluator and the config layer need it. */
export function parseThreshold(metric: string, expr: string): ParsedThresholdEntry {
  const target = parseThresholdMetric(metric);
  return { ...target, ...parseThresholdExpr(expr, metric) };
}

function checkStatFits(metric: ThresholdMetric, parsed: ParsedThreshold, expr: string): void {
  const { stat } = parsed;
  if (metric.kind === 'histogram') {
    if (stat === undefined) {
      throw new Error(
        `threshold "${expr}" on ${metric.name} needs a statistic, e.g. "p99 ${parsed.op} ${parsed.value}" (one of ${HISTOGRAM_STATS_HELP})`,
      );
    }
    if (stat.kind === 'rate') {
      throw new Error(
        `threshold "${expr}": "rate" does not apply to ${metric.name} (use ${HISTOGRAM_STATS_HELP})`,
      );
    }
  } else if (metric.kind === 'rate') {
    if (stat !== undefined && stat.kind !== 'rate') {
      throw new Error(
        `threshold "${expr}": ${metric.name} is a rate and takes no statistic (write "${parsed.op} ${parsed.value}")`,
      );
    }
  } else if (stat !== undefined && stat.kind !== 'count' && stat.kind !== 'rate') {
    throw new Error(`threshold "${expr}": ${metric.name} is a count; use "count" (or "rate" for per second)`);
  }
}
