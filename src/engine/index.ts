/**
 * @module engine
 * Runs a test over worker threads: executor × workload over the protocol
 * clients, graceful stop, cancellation, record streaming.
 */

export { defaultWorkerCount } from './run-start.js';
export {
  type RunProgress,
  type RunTestOptions,
  type RunTestResult,
  runTest,
} from './run-test.js';
export type { RecordsMode, TestSource } from './worker-protocol.js';
