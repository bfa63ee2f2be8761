/**
 * @module store
 * Run directories on disk: records, events, run info; the run history (SQLite); and the redaction of
 * secrets in everything written.
 */

export { gitLabels } from './git-labels.js';
export { defaultHistoryPath, History, openHistory } from './history.js';
export { HistoryBusyError } from './history-lock.js';
export {
  type GitLabels,
  type HistoryEntry,
  type HistoryQuery,
  type HistoryRow,
  type HistoryRun,
  type PredictCheckEntry,
  type PredictCheckRow,
  ROLLING_DEFAULT_RUNS,
  ROLLING_MIN_RUNS,
  type RollingBaseline,
  type RunHistograms,
  type RunLabels,
  tagsKey,
} from './history-model.js';
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
  type AbortedByThreshold,
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
