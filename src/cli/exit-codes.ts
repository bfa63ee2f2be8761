/**
 * @module cli/exit-codes
 * Exit codes of `tokenstorm run` (docs/architecture.md#the-run-directory), in one place.
 */
export const ExitCode = {
  /** Every blocking threshold passed. */
  ok: 0,
  /** Internal error. */
  internal: 1,
  /** Bad test file or arguments. */
  badInput: 2,
  /**
   * Aborted early (SIGINT, abort-on-fail, budget cap) with results written, a
   * worker terminated because it did not stop in time, or (`report`) a run
   * that never finished (killed: no final marker).
   */
  aborted: 98,
  /** A blocking threshold failed. */
  thresholdFailed: 99,
  /** Interrupted while loading, before the load started (128 + SIGINT, as a shell reports it). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
