/**
 * @module metrics
 * Request records and what is computed from them: mergeable histograms,
 * run/scenario/window aggregates and the measured part of summary.json.
 */
export {
  type AgentGroupState,
  type AgentStageSummary,
  type AgentsState,
  type AgentsSummary,
  AgentTally,
  type AgentToolSummary,
} from './agents.js';
export { type AggregateState, RunAggregator, type RunAggregatorOptions } from './aggregator.js';
export { ContextTally, contextBucketOf } from './context-stats.js';
export { type BilledTokens, billedTokensOf, costOf, priceRecord } from './cost.js';
export {
  DISTRIBUTION_METRICS,
  type Distribution,
  distributionOf,
  distributionsOf,
  PERCENTILE_LADDER,
} from './distributions.js';
export {
  isGood,
  isGoodLogical,
  type RequestSlo,
  SLO_METRICS,
  type Slo,
  type SloMetric,
  SloSchema,
  slosOf,
} from './goodput.js';
export {
  type HistogramTransfer,
  type HistogramUnit,
  MetricHistogram,
  type MetricStats,
  type PercentileSource,
} from './histogram.js';
export {
  MODEL_METRICS,
  type ModelSummary,
  type ModelsState,
  ModelTallies,
  type StageModels,
} from './models.js';
export { BUILTIN_PRICES, type ModelPrice, type PriceTable, priceOf, priceTableOf } from './prices.js';
export {
  MAX_KEPT_TEXTS,
  MAX_QUALITY_TEXT,
  type QualityRow,
  QualityTally,
  rankOf,
} from './quality-tally.js';
export { isModelStep } from './samples.js';
export {
  matches,
  modelOf,
  needsOwnTally,
  ownTallySelectors,
  parseSelector,
  SELECTOR_TAGS,
  type Selector,
  type SelectorTag,
  type StageRef,
  type StepLabelLookup,
  type StepLabels,
  selectorKey,
} from './selectors.js';
export {
  cosine,
  DEFAULT_REFUSAL_PATTERNS,
  lcsLength,
  refusalMatcher,
  rougeL,
  rougeLWords,
  textKey,
  tokenF1,
  tokenF1Words,
  wordsOf,
} from './similarity.js';
export { SlowestRequests, type SlowRequest } from './slowest.js';
export { DEFAULT_ATTAINMENT, StageTallies, type StepVerdict, stepVerdict } from './stages.js';
export {
  type CheckCounts,
  type ChecksSummary,
  CORE_METRICS,
  COUNT_NAMES,
  type ContextBucketStats,
  type ContextStats,
  type CountName,
  type Counts,
  EMBEDDING_RATE_NAMES,
  type EmbeddingRateName,
  LOGICAL_COUNT_NAMES,
  LOGICAL_RATE_NAMES,
  type LogicalSummary,
  METRIC_NAMES,
  type MetricName,
  type MetricsSummary,
  type Quantiles,
  RATE_NAMES,
  type RateName,
  type Rates,
  type RunMeta,
  type ScenarioSummary,
  type StageFlow,
  type StageMeasurement,
  type StageSpan,
  type StageSummary,
  type StepSummary,
  type SummaryCore,
  type TokenTotals,
  unitOf,
  type WindowFlow,
  type WindowSummary,
} from './summary-core.js';
export { Tally, type TallyState } from './tally.js';
export {
  createTelemetryScraper,
  DEFAULT_TELEMETRY_METRICS,
  parsePrometheusText,
  type TelemetryOptions,
  type TelemetryScraper,
  type TelemetrySeries,
  telemetrySeriesName,
} from './telemetry.js';
