/**
 * @module tokenstorm
 * What test files import: `defineTest` and the types of a test; and, to add
 * a kind of step, `registerStepKind` with what an entry is built from
 * (docs/workload.md, "Adding a step kind").
 */
export { defineTest, type Test, type TestInput } from './config/index.js';
export { roundMs } from './core/index.js';
export {
  type CompiledStep,
  type DrawnPrompt,
  HttpSink,
  type HttpStepTransport,
  httpTransport,
  type OwnStepTransport,
  openAITransport,
  registerStepKind,
  type SendOptions,
  type SentStep,
  type StepContext,
  type StepDefaults,
  type StepKindEntry,
  type StepMeasurement,
  type StepSink,
  type StepTransport,
  type StepWarmUp,
  stepKinds,
} from './protocols/index.js';
