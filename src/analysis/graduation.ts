/**
 * @module analysis/graduation
 * Which advisory checks have earned the right to block: for each anomaly
 * series and each comparison verdict, how often it agreed with the blocking
 * thresholds' verdict over a series of runs of one test, target and tags. A
 * check that agreed in at least 95% of at least 20 runs is suggested for
 * promotion; a statistical gate that blocks before it has shown that much
 * agreement gets switched off after its first false alarms. Pure: summaries
 * in, agreement out (the run history keeps the summaries).
 */
import { type Anomaly, anomalySeries } from './anomalies.js';
import type { RunComparison } from './compare.js';
import { type ThresholdResult, thresholdsPassed } from './thresholds.js';

/** The part of a summary.json the checks are read from. */
export interface CheckSummary {
  complete?: boolean;
  thresholds: readonly ThresholdResult[];
  anomalies?: readonly Pick<Anomaly, 'metric' | 'generator_limited'>[];
  compare?: Pick<RunComparison, 'status' | 'verdict' | 'fail_on'> & {
    comparison?: { rows: readonly { scenario: string; metric: string; stat: string; verdict: string }[] };
  };
}

/** One advisory check in one run: did it raise an alarm? */
export interface CheckObservation {
  check: string;
  kind: 'anomaly' | 'compare';
  fired: boolean;
  /** Already blocking (a `compare.fail_on` figure): nothing to promote. */
  blocking?: boolean;
}

/** A run's checks beside the blocking thresholds' verdict. */
export interface RunChecks {
  /** A blocking threshold failed. */
  thresholdsFailed: boolean;
  checks: CheckObservation[];
}

export interface CheckAgreement {
  check: string;
  kind: 'anomaly' | 'compare';
  /** Runs in which the check was observed. */
  runs: number;
  /** Runs in which it fired exactly when a blocking threshold failed. */
  agreed: number;
  rate: number;
  /** It fired and every blocking threshold passed. */
  false_alarms: number;
  /** A blocking threshold failed and it did not fire. */
  misses: number;
  /** Blocking already in the latest run (a compare.fail_on figure). */
  blocking: boolean;
  suggestion: 'promote to blocking' | 'keep advisory' | 'collecting' | 'already blocking';
}

export interface GraduationOptions {
  /** Fewest runs before a suggestion (default 20). */
  minRuns?: number;
  /** Agreement needed for a promotion (default 0.95). */
  agreement?: number;
}

export const GRADUATION_MIN_RUNS = 20;
export const GRADUATION_AGREEMENT = 0.95;

const figureOf = (r: { metric: string; stat: string }) =>
  r.stat === 'value' ? r.metric : `${r.metric}.${r.stat}`;

/**
 * The advisory checks of one run, or undefined when the run says nothing to
 * agree with: incomplete, or without a blocking threshold. An anomaly that the
 * generator's lateness explains is the tester's, not an alarm about the target.
 */
export function runChecks(summary: CheckSummary): RunChecks | undefined {
  if (summary.complete === false) return undefined;
  if (!summary.thresholds.some((t) => t.blocking)) return undefined;
  const alarms = new Set((summary.anomalies ?? []).filter((a) => !a.generator_limited).map((a) => a.metric));
  const checks: CheckObservation[] = [
    { check: 'anomalies', kind: 'anomaly', fired: alarms.size > 0 },
    ...anomalySeries().map((s) => ({
      check: `anomaly ${s}`,
      kind: 'anomaly' as const,
      fired: alarms.has(s),
    })),
  ];
  const compare = summary.compare;
  if (compare?.status === 'judged' && compare.comparison !== undefined) {
    const failOn = compare.fail_on ?? [];
    const covers = (figure: string, metric: string, stat: string) =>
      failOn.some((n) => n === 'regression' || n === figure || n === metric || n === stat);
    checks.push({
      check: 'compare',
      kind: 'compare',
      fired: compare.verdict === 'regression',
      blocking: failOn.includes('regression'),
    });
    for (const r of compare.comparison.rows) {
      if (r.scenario !== 'all' || r.verdict === 'insufficient data') continue;
      const figure = figureOf(r);
      checks.push({
        check: `compare ${figure}`,
        kind: 'compare',
        fired: r.verdict === 'regression',
        blocking: covers(figure, r.metric, r.stat),
      });
    }
  }
  return { thresholdsFailed: !thresholdsPassed(summary.thresholds), checks };
}

/**
 * Agreement of each check over `runs` (newest first: the newest run decides
 * whether a check is already blocking). Checks in the order first seen.
 */
export function graduation(runs: readonly RunChecks[], options: GraduationOptions = {}): CheckAgreement[] {
  const minRuns = options.minRuns ?? GRADUATION_MIN_RUNS;
  const needed = options.agreement ?? GRADUATION_AGREEMENT;
  const byCheck = new Map<string, CheckAgreement>();
  for (const run of runs) {
    for (const o of run.checks) {
      let a = byCheck.get(o.check);
      if (a === undefined) {
        a = {
          check: o.check,
          kind: o.kind,
          runs: 0,
          agreed: 0,
          rate: 0,
          false_alarms: 0,
          misses: 0,
          blocking: o.blocking === true,
          suggestion: 'collecting',
        };
        byCheck.set(o.check, a);
      }
      a.runs++;
      if (o.fired === run.thresholdsFailed) a.agreed++;
      else if (o.fired) a.false_alarms++;
      else a.misses++;
    }
  }
  for (const a of byCheck.values()) {
    a.rate = a.runs > 0 ? a.agreed / a.runs : 0;
    a.suggestion = a.blocking
      ? 'already blocking'
      : a.runs < minRuns
        ? 'collecting'
        : a.rate >= needed
          ? 'promote to blocking'
          : 'keep advisory';
  }
  return [...byCheck.values()];
}
