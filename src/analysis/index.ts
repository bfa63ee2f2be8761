/**
 * @module analysis
 * Verdicts from aggregates: thresholds (k6-style expressions) and, later,
 * SLOs, saturation and comparisons. Pure functions, no I/O.
 */

export {
  type Anomaly,
  type AnomalyCause,
  type AnomalyConcordance,
  type AnomalyInput,
  type AnomalyOptions,
  anomalyConcordance,
  DEFAULT_ANOMALY_OPTIONS,
  detectAnomalies,
} from './anomalies.js';
export {
  type CompareIdentity,
  type CompareOptions,
  type CompareRequest,
  type CompareRow,
  type CompareRun,
  type CompareSummary,
  type Comparison,
  compareRuns,
  DEFAULT_BANDS,
  identityDifferences,
  type Verdict,
} from './compare.js';
export {
  assessGenerator,
  DEFAULT_GENERATOR_LIMITS,
  type GeneratorFigures,
  type GeneratorHealth,
  type GeneratorLimits,
} from './generator-health.js';
export {
  type CurvePoint,
  curveOf,
  DRIFT_LIMIT,
  DRIFT_RELEASES,
  type Drift,
  type DriftSeries,
  driftOf,
  interpolate,
  PREDICT_QUANTILES,
  type PredictQuantile,
  type PredictRow,
  ProductionFileError,
  type ProductionRow,
  type PrometheusOptions,
  parseProductionCsv,
  parseProductionJson,
  parsePrometheus,
  predictRows,
  type ReleaseError,
  type StageLike,
} from './predict.js';
export {
  type CounterPoints,
  type Recovery,
  type RecoveryEvent,
  type RecoveryOptions,
  type RecoveryWindow,
  recoveryOf,
  timeToIncrease,
} from './recovery.js';
export {
  analyseSweep,
  analyseSweepStages,
  type DegradedSignal,
  kneeOf,
  type SweepAnalysis,
  type SweepPoint,
  type SweepStepInput,
} from './sweep-analysis.js';
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
