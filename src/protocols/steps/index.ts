/**
 * @module protocols/steps
 * The list of step kinds, one line each, and all that is derived from it: the
 * schema of a step (the union of `{ <name>: <body> }`), the "expected a step"
 * message, the kind of a step, which records are model records, and the docs'
 * table. A kind is one file exporting its `StepKindEntry` plus its line here;
 * a plugin's kind goes through the same `registerStepKind` (no back door for
 * the built-in ones). Register before the test is parsed: at the top of a
 * TypeScript test file or a module it imports, so every worker, which loads
 * the test file itself, registers it too.
 */
import { z } from 'zod';
import { addModelKind } from '../../core/index.js';
import type { StepKindEntry } from '../step-kind.js';
import { agentStep } from './agent.js';
import { chatStep } from './chat.js';
import { completionStep } from './completion.js';
import { embeddingStep } from './embedding.js';
import { httpStep } from './http.js';
import { messagesStep } from './messages.js';
import { responseStep } from './response.js';

/** The built-in kinds, in the order the "expected a step" message names them. */
export const BUILTIN_STEP_KINDS = [
  chatStep,
  completionStep,
  httpStep,
  agentStep,
  messagesStep,
  responseStep,
  embeddingStep,
] as const;

type Wrapped<E extends StepKindEntry> = z.ZodObject<{ [K in E['name']]: E['schema'] }, z.core.$strict>;
type Wrappers<T extends readonly StepKindEntry[]> = { -readonly [K in keyof T]: Wrapped<T[K]> };

/** `{ <name>: <body schema> }`: a step of one kind. */
function wrap<E extends StepKindEntry>(entry: E): Wrapped<E> {
  return z.strictObject({ [entry.name]: entry.schema } as { [K in E['name']]: E['schema'] });
}

const kinds: StepKindEntry[] = [];
const byName = new Map<string, StepKindEntry>();
const builtinWrappers = BUILTIN_STEP_KINDS.map(wrap) as unknown as Wrappers<typeof BUILTIN_STEP_KINDS>;
const wrappers = new Map<string, z.ZodType>();
for (const [i, entry] of BUILTIN_STEP_KINDS.entries())
  wrappers.set(entry.name, builtinWrappers[i] as z.ZodType);

/** What a test is told when a step is none of the list. */
export function unknownStepMessage(): string {
  const names = kinds.map((entry) => `{ ${entry.name}: … }`);
  return names.length === 1
    ? `expected a step: ${names[0]}`
    : `expected a step: ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

/**
 * A step: one of the listed kinds. Its options are the list's: a kind registered later is
 * added to this very union, so a schema built from it (the test's) takes the new kind too.
 */
export const StepSchema = z.union(builtinWrappers, { error: () => unknownStepMessage() });

/** A step as parsed: `{ <kind>: <body> }`. */
export type Step = z.output<typeof StepSchema>;

/** The schema of a step of one kind, `{ <name>: <body> }`. */
export function stepSchemaOf<E extends (typeof BUILTIN_STEP_KINDS)[number]>(entry: E): Wrapped<E> {
  return wrappers.get(entry.name) as Wrapped<E>;
}

const NAME = /^[a-z][a-z0-9_]*$/;
const BUILTIN_NAMES = new Set<string>(BUILTIN_STEP_KINDS.map((e) => e.name));

/**
 * Adds a kind of step to the list: its schema joins the step union, its records count as model
 * records when `model` is set, and flows get `vu.<name>()`. A kind registered again under its
 * name replaces the earlier one (a test file is evaluated again each time it is loaded); a
 * built-in kind cannot be replaced.
 * @throws Error when the name is a built-in kind's, reserved, or not a lower-case identifier.
 */
export function registerStepKind(entry: StepKindEntry): void {
  if (!NAME.test(entry.name))
    throw new Error(`step kind "${entry.name}": expected a lower-case name (a-z, 0-9, _)`);
  const builtin = (BUILTIN_STEP_KINDS as readonly StepKindEntry[]).includes(entry);
  if (entry.name === 'script' || (!builtin && BUILTIN_NAMES.has(entry.name))) {
    throw new Error(`step kind "${entry.name}" is ${entry.name === 'script' ? 'reserved' : 'built in'}`);
  }
  const wrapped = builtin ? (wrappers.get(entry.name) as z.ZodType) : wrap(entry);
  const options = StepSchema.def.options as unknown as z.ZodType[];
  const earlier = byName.get(entry.name);
  if (earlier !== undefined) {
    kinds[kinds.indexOf(earlier)] = entry;
    options[options.indexOf(wrappers.get(entry.name) as z.ZodType)] = wrapped;
  } else {
    kinds.push(entry);
    if (!builtin) options.push(wrapped);
  }
  byName.set(entry.name, entry);
  wrappers.set(entry.name, wrapped);
  if (entry.model) addModelKind(entry.name);
}

for (const entry of BUILTIN_STEP_KINDS) registerStepKind(entry);

/** Every kind, built-in ones first, in the order they were registered. */
export function stepKinds(): readonly StepKindEntry[] {
  return kinds;
}

/** The kind named `name`, or undefined. */
export function stepKind(name: string): StepKindEntry | undefined {
  return byName.get(name);
}

/** The kind of a step (`{ <name>: <body> }`, as parsed or written), or undefined when it is none of the list. */
export function stepKindOf(step: object): StepKindEntry | undefined {
  for (const key in step) {
    const entry = byName.get(key);
    if (entry !== undefined && (step as Record<string, unknown>)[key] !== undefined) return entry;
  }
  return undefined;
}

/** The docs' table of steps (docs/workload.md), from the list. */
export function stepKindsTable(): string {
  const rows = kinds.map((e) => `| \`${e.name}\` | ${e.model ? 'yes' : 'no'} | ${e.summary} |`);
  return ['| Step | Model step | What it sends |', '|---|---|---|', ...rows].join('\n');
}
