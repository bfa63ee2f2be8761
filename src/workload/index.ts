/**
 * @module workload
 * What is sent: scenarios and their mix, steps, multi-turn sessions,
 * TypeScript flows, think time, feeders, prompt synthesis, templates and
 * captures, cancellation and retries.
 */

export { applyCaptures, type CaptureSpec, type CompiledCapture, compileCaptures } from './capture.js';
export {
  type CheckOutcome,
  type CompiledChecks,
  compileChecks,
  jsonPathOf,
  parseAnswerJson,
} from './checks.js';
export { Feeder, type FeederSpec, type WorkerSlice } from './feeder.js';
export {
  PromptSynth,
  readEmpiricalColumn,
  type SyntheticPrompt,
  type SyntheticSpec,
  synthVocabulary,
} from './prompt-synth.js';
export type { IterationRun, RecordSink, RequestGate, StepResult } from './request.js';
export { backoffMs, parseRetryAfter, type RetryPolicy, retryDelayMs, shouldRetry } from './retry-policy.js';
export { DataError, formatOf, type Row, type RowFormat, readCsvHeader, readRows } from './row-reader.js';
export {
  CancelSchema,
  checkDataColumns,
  checkTemplateNames,
  FeederSchema,
  RETRYABLE_KINDS,
  RetrySchema,
  resolveDataFiles,
  type Scenario,
  ScenarioSchema,
} from './schema.js';
export {
  compileTemplate,
  renderTemplate,
  renderValue,
  type Template,
  TemplateError,
  type TemplateRead,
  type TemplateScope,
} from './template.js';
export {
  compileValue,
  findTemplateIssues,
  findTemplateReads,
  type TemplatedValue,
  type TemplateIssue,
} from './templated-value.js';
export type { Flow, Vu } from './vu.js';
export { type CompiledScenario, type IterationContext, Workload, type WorkloadOptions } from './workload.js';
