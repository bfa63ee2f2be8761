/**
 * @module load/executors
 * The list of executors, one line each, and all that is derived from it: the
 * schemas of the config's `load` union, the "unknown executor" message and
 * the lookup by name. An executor is one file exporting its `ExecutorEntry`
 * plus its line here; nothing else names executors, so nothing else can
 * drift from the list (the conformance suite runs each one of it).
 */
import { z } from 'zod';
import { constantArrivalRateEntry } from './constant-arrival-rate.js';
import { constantVusEntry } from './constant-vus.js';
import type { Executor, ExecutorEntry, LoadSection } from './executor.js';
import { perVuIterationsEntry } from './per-vu-iterations.js';
import { rampingArrivalRateEntry } from './ramping-arrival-rate.js';
import { rampingVusEntry } from './ramping-vus.js';
import { sharedIterationsEntry } from './shared-iterations.js';
import { sweepEntry } from './sweep.js';
import { traceEntry } from './trace.js';

/** Every executor, in the order the "unknown executor" message names them. */
export const EXECUTORS = [
  constantVusEntry,
  constantArrivalRateEntry,
  rampingArrivalRateEntry,
  rampingVusEntry,
  perVuIterationsEntry,
  sharedIterationsEntry,
  traceEntry,
  sweepEntry,
] as const;

/** The `executor:` values a test may use. */
export type ExecutorName = (typeof EXECUTORS)[number]['name'];

type Schemas<T extends readonly ExecutorEntry<z.ZodType<LoadSection>>[]> = {
  -readonly [K in keyof T]: T[K]['schema'];
};

/** The load sections' schemas, as the tuple a discriminated union takes. */
export const executorSchemas = EXECUTORS.map((entry) => entry.schema) as unknown as Schemas<typeof EXECUTORS>;

/** What a test is told when its `load.executor` is none of the list. */
export function unknownExecutorMessage(): string {
  const names = EXECUTORS.map((entry) => `"${entry.name}"`);
  return `expected executor ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/** The executor of a parsed load section (the schema only lets listed names through). */
export function lookupExecutor<L extends LoadSection>(load: L): Executor<L> {
  const entry = EXECUTORS.find((e) => e.name === load.executor) as ExecutorEntry | undefined;
  if (entry === undefined) throw new Error(`no executor "${load.executor}" in load/executors.ts`);
  return entry.executor(load) as unknown as Executor<L>;
}

/** The test file's `load` section: one schema per executor of the list, as k6 keeps config beside the executor. */
export const LoadSchema = z.discriminatedUnion('executor', executorSchemas, {
  error: unknownExecutorMessage(),
});

/** A parsed `load` section. */
export type Load = z.output<typeof LoadSchema>;
