/**
 * @module protocols
 * Protocol clients: OpenAI-compatible chat/completions (SSE and JSON) and
 * plain HTTP, each timed at the points of docs/architecture.md#metric-definitions; the list of step
 * kinds (protocols/steps/) that a plugin adds to with `registerStepKind`.
 */
export { classifyTransportError, kindOfStatus, redactMessage } from './errors.js';
export {
  type ExchangeRequest,
  type ExchangeResult,
  exchange,
  isAborted,
  type ResponseSink,
} from './exchange.js';
export { HttpSink } from './http-sink.js';
export * from './http1/index.js';
export { compileJsonPath, type JsonPath, queryJsonPath } from './json-path.js';
export { DEFAULT_LIMITS, type ResponseLimits, setResponseLimits } from './limits.js';
export { OpenAISink } from './openai-sink.js';
export type {
  CompiledStep,
  DrawnPrompt,
  HttpStepTransport,
  OwnStepTransport,
  SendOptions,
  SentStep,
  StepContext,
  StepDefaults,
  StepKindEntry,
  StepMeasurement,
  StepResponse,
  StepSink,
  StepTransport,
  StepWarmUp,
} from './step-kind.js';
export { type ChatBody, chatStep, SessionChatSchema } from './steps/chat.js';
export { type CompletionBody, completionStep } from './steps/completion.js';
export { Headers as HeadersSchema } from './steps/fields.js';
export { type HttpBody, httpStep, httpTransport } from './steps/http.js';
export {
  BUILTIN_STEP_KINDS,
  registerStepKind,
  type Step,
  StepSchema,
  stepKind,
  stepKindOf,
  stepKinds,
  stepKindsTable,
  stepSchemaOf,
  unknownStepMessage,
} from './steps/index.js';
export { openAITransport } from './steps/model.js';
export { type ToolRowsSpec, toolRows } from './steps/tool-rows.js';
export { compileStep, runStep, sendStep } from './steps.js';
export { countTokens } from './tokens.js';
export { WarmConnector } from './warm-connector.js';
