/**
 * @module config
 * Test definitions: the schema, loading YAML/TypeScript files, overrides and errors.
 */
export {
  BUILTIN_CHECKS,
  type CheckAnswer,
  type CheckFunction,
  type Checks,
  ChecksSchema,
} from './checks-schema.js';
export { defineTest } from './define-test.js';
export { parseDurationMs } from './duration.js';
export { parseEnvArgs, substituteEnv } from './env.js';
export { ConfigError, formatPath, formatZodError, type TokenstormErrorCode } from './errors.js';
export { applyOverrides, type LoadTestOptions, loadTest, type Overrides, parseTest } from './load-test.js';
export {
  type ChatStep,
  type ChatStepInput,
  type CompletionStep,
  type CompletionStepInput,
  type HttpStep,
  type HttpStepInput,
  type Load,
  type Scenario,
  type Step,
  StepSchema,
  TAG_KEY,
  type Test,
  type TestInput,
  TestSchema,
  type ThresholdEntry,
  testJsonSchema,
} from './schema.js';
export { stepLabelsOf } from './threshold-selectors.js';
export { loadYamlWith, parseWith } from './validate.js';
export { RETRYABLE_KINDS } from './workload-schema.js';
