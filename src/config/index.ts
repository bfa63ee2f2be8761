/**
 * @module config
 * Test definitions: the schema, loading YAML/TypeScript files, overrides and errors.
 */
export { defineTest } from './define-test.js';
export { parseEnvArgs, substituteEnv } from './env.js';
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
