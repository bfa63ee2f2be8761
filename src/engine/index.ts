/**
 * @module engine
 * Runs a test: executor × workload over the protocol clients, graceful stop, cancellation.
 */
export { type RunTestOptions, type RunTestResult, runTest } from './run-test.js';
