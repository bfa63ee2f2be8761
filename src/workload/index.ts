/**
 * @module workload
 * What is sent: scenarios and their mix, steps, think time.
 */
export { ThinkTime } from './think-time.js';
export { type CompiledScenario, type IterationContext, type RecordSink, Workload } from './workload.js';
