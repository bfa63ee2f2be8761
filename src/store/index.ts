/**
 * @module store
 * Run directories on disk: records, events, run info; and the redaction of secrets in everything written.
 */

export { type EncodedRecords, LineEncoder, RecordBatch, recordLines } from './record-batch.js';
export { JsonlWriter, type ReadReport, readJsonl } from './records-file.js';
export {
  forgetSecrets,
  isSecretHeader,
  isSecretName,
  REDACTED,
  redactStrings,
  redactText,
  rememberSecrets,
  secretsOf,
} from './redact.js';
export {
  createRunDir,
  defaultRunDir,
  hasRunFiles,
  RUN_FILES,
  type RunEvent,
  type RunEventMark,
  type RunInfo,
  type RunTelemetrySeries,
  readRunInfo,
  redactSecrets,
  writeRunInfo,
} from './run-dir.js';
