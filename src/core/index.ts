/**
 * @module core
 * What every layer needs and belongs to none: the run clock, durations, the
 * errors a user can act on (and how zod issues are worded), reading a YAML
 * input against a schema, and the request record. A leaf: it imports no
 * other folder of src/ (docs/architecture.md, "Folders").
 */
export { type Clock, createClock } from './clock.js';
export { durationMs, MAX_DURATION_MS, parseDurationMs } from './duration.js';
export { ConfigError, formatPath, formatZodError, type TokenstormErrorCode } from './errors.js';
export { inBundle, packageRoot } from './package-root.js';
export {
  type AgentEnd,
  type AgentTask,
  type AgentToolCall,
  addModelKind,
  ERROR_KINDS,
  type ErrorKind,
  isModelKind,
  type Outcome,
  outputTokensOf,
  type QualitySample,
  type RedirectHop,
  type RequestRecord,
  roundMs,
  type StepKind,
} from './record.js';
export { type Tokenizer, tokenizer, tokenizerLoaded } from './tokenizer.js';
export { type Undici, undici } from './undici.js';
export { loadYamlWith, MAX_ALIAS_COUNT, parseWith, parseYamlText } from './validate.js';
