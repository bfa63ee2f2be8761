/**
 * @module config
 * Test definitions: the test schema (composed of the features' own schemas),
 * loading YAML/TypeScript files, environment variables and overrides.
 */
export {
  BUILTIN_CHECKS,
  type CheckAnswer,
  type CheckFunction,
  type Checks,
  ChecksSchema,
} from '../protocols/steps/checks-schema.js';
export { defineTest } from './define-test.js';
export { parseEnvArgs, substituteEnv } from './env.js';
export {
  applyOverrides,
  type LoadTestOptions,
  loadTest,
  type Overrides,
  parseTest,
  prepareTest,
  readTestFile,
} from './load-test.js';
export { DEFAULT_JUDGE_RUBRIC, type QualityTest, QualityTestSchema } from './quality-schema.js';
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
