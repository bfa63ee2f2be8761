/**
 * @module protocols
 * Protocol clients: OpenAI-compatible chat/completions (SSE and JSON) and
 * plain HTTP, each timed at the points of DESIGN.md §2.
 */
export { type Clock, createClock } from './clock.js';
export { ClientAbort, classifyTransportError, kindOfStatus, redactMessage } from './errors.js';
export {
  type ExchangeRequest,
  type ExchangeResult,
  exchange,
  isAborted,
  type ResponseSink,
} from './exchange.js';
export * from './http1/index.js';
export { DEFAULT_LIMITS, type ResponseLimits, setResponseLimits } from './limits.js';
export {
  type CompiledStep,
  compileStep,
  runStep,
  type SendOptions,
  type SentStep,
  type StepContext,
  type StepMeasurement,
  type StepResponse,
  sendStep,
} from './steps.js';
export { countTokens } from './tokens.js';
export { WarmConnector } from './warm-connector.js';
