/**
 * @module analysis
 * Verdicts from aggregates: thresholds (k6-style expressions) and, later,
 * SLOs, saturation and comparisons. Pure functions, no I/O.
 */
export {
  formatStat,
  type ParsedThreshold,
  type ParsedThresholdEntry,
  parseThreshold,
  parseThresholdExpr,
  parseThresholdMetric,
  type ThresholdMetric,
  type ThresholdMetricKind,
  type ThresholdOp,
  type ThresholdStat,
} from './threshold-expr.js';
export { createThresholdSource, type HistogramLookup, type ThresholdSource } from './threshold-source.js';
export {
  evaluateThresholds,
  type ThresholdEntry,
  type ThresholdResult,
  type Thresholds,
  thresholdsPassed,
} from './thresholds.js';
