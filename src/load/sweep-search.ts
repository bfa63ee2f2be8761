/**
 * @module load/sweep-search
 * Which load a sweep tries next, from the verdicts so far (pure): a coarse
 * pass upward (× factor) until a step fails or the maximum is reached, then a
 * bisection between the highest passing and the lowest failing load. It never
 * goes above a failing load: once clearly past saturation it stops climbing.
 */

export interface SweepSearch {
  /** First load (arrivals/s or VUs). */
  start: number;
  /** Highest load to try. */
  max: number;
  /** Coarse pass: each step is the last × factor. */
  factor: number;
  /** Refining steps after the first failure. */
  refine: number;
  /** Whole numbers only (VUs). */
  integer: boolean;
}

export interface SweepResult {
  offered: number;
  passed: boolean;
}

export interface SweepStep {
  offered: number;
  phase: 'coarse' | 'refine';
}

function tidy(x: number, integer: boolean): number {
  if (integer) return Math.round(x);
  // Three significant digits: readable labels, and no step differs from another by noise.
  const scale = 10 ** (Math.floor(Math.log10(x)) - 2);
  return Math.round(x / scale) * scale;
}

/** The next step, or undefined when the sweep is done. */
export function nextSweepStep(config: SweepSearch, results: readonly SweepResult[]): SweepStep | undefined {
  if (results.length === 0)
    return { offered: tidy(Math.min(config.start, config.max), config.integer), phase: 'coarse' };
  const failedAt = results.findIndex((r) => !r.passed);
  if (failedAt === -1) {
    const last = Math.max(...results.map((r) => r.offered));
    if (last >= config.max) return undefined;
    return { offered: tidy(Math.min(config.max, last * config.factor), config.integer), phase: 'coarse' };
  }
  if (results.length - 1 - failedAt >= config.refine) return undefined;
  const hi = Math.min(...results.filter((r) => !r.passed).map((r) => r.offered));
  const below = results.filter((r) => r.passed && r.offered < hi).map((r) => r.offered);
  const lo = below.length > 0 ? Math.max(...below) : 0;
  const mid = tidy((lo + hi) / 2, config.integer);
  // Nothing left to split: the edge is known to the resolution of the load.
  if (mid <= lo || mid >= hi || (hi - lo) / hi < 0.02) return undefined;
  return { offered: mid, phase: 'refine' };
}
