/**
 * @module workload/schema
 * The workload's part of a test file: a scenario (its steps, session or
 * TypeScript flow, feeder, think time, cancellation and retries) and the
 * checks that need the workload's runtime (templates, data files). The
 * config's test schema (config/schema.ts) composes it; the fields a step
 * carries (`capture`, `synthetic`) are the step kinds' (protocols/steps/).
 */

import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, durationMs, formatPath } from '../core/index.js';
import { SessionChatSchema, StepSchema, type ToolRowsSpec, toolRows } from '../protocols/index.js';
import { DistributionSchema } from '../random/index.js';
import { readEmpiricalColumn } from './prompt-synth.js';
import { formatOf, readCsvHeader, readRows } from './row-reader.js';
import { findTemplateIssues, findTemplateReads } from './templated-value.js';
import type { Flow } from './vu.js';

/** A feeder column's name, as templates can read it (`row.NAME`). */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const FeederSchema = z.strictObject({
  /** CSV (header row) or JSONL file; a relative path is relative to the test file. */
  file: z.string().min(1),
  /**
   * From the extension when absent: `.csv`, `.jsonl`/`.ndjson`. `sharegpt`: a ShareGPT JSON
   * file, one row per conversation `{ id, turns, replies }` (for `session.user_messages_from: turns`).
   */
  format: z.enum(['csv', 'jsonl', 'sharegpt']).optional(),
  /**
   * `circular`: file order, wrapping; `sequential`: file order once, then `on_exhausted`;
   * `random`: a uniformly random row each time; `unique`: every row at most once across
   * all VUs and workers, then `on_exhausted`.
   */
  strategy: z.enum(['sequential', 'random', 'circular', 'unique']).default('circular'),
  /** `stop`: the run stops starting iterations; `error`: each further iteration fails with `check_failed`. */
  on_exhausted: z.enum(['stop', 'error']).default('stop'),
  /** CSV field delimiter. */
  delimiter: z.string().length(1).default(','),
  /**
   * CSV: a row may have more or fewer fields than the header (missing ones read as '').
   * Without it such a row is a bad row: an error naming the file and line.
   */
  relax_column_count: z.boolean().default(false),
});

const turnsSchema = z.union([z.number().int().positive(), DistributionSchema], {
  error: 'expected a number of turns or a distribution',
});

/** A user who gives up: cancels a streamed answer after a time or a number of output tokens. */
export const CancelSchema = z
  .strictObject({
    probability: z.number().min(0).max(1, { error: 'expected a probability between 0 and 1' }),
    /** Milliseconds after the request was sent. */
    after_ms: DistributionSchema.optional(),
    /** Output tokens received. */
    after_tokens: DistributionSchema.optional(),
  })
  .refine((c) => (c.after_ms === undefined) !== (c.after_tokens === undefined), {
    message: 'expected exactly one of "after_ms" or "after_tokens"',
  });

export const RETRYABLE_KINDS = [
  'rate_limited',
  'overloaded',
  'http_5xx',
  'connection',
  'timeout',
  'stream_error',
] as const;

export const RetrySchema = z.strictObject({
  /** Attempts in all, the first included. */
  max_attempts: z.number().int().min(1).default(3),
  /** `http_5xx` also retries `overloaded` (a 529 is a 5xx status; it was `http_5xx` before it had a kind of its own). */
  on: z
    .array(z.enum(RETRYABLE_KINDS))
    .min(1)
    .default(['rate_limited', 'overloaded', 'http_5xx', 'connection']),
  /** Exponential backoff: `initial × multiplier^(attempt−1)`, capped at `max`, then jittered. */
  backoff: z
    .strictObject({
      initial: durationMs().default(500),
      multiplier: z.number().min(1).default(2),
      max: durationMs().default(30_000),
      /** `full`: uniform in [0, delay]; `equal`: [delay/2, delay]; `none`. */
      jitter: z.enum(['full', 'equal', 'none']).default('full'),
    })
    .prefault({}),
  /** Wait what a `Retry-After` header says (seconds or an HTTP date) instead of the backoff. */
  respect_retry_after: z.boolean().default(true),
  /** A longer `Retry-After` is capped at this. */
  max_retry_after: durationMs().default(60_000),
});

/** Scenario fields (spread into `ScenarioSchema`); `session` is built by `sessionSchema`. */
export const scenarioWorkloadFields = {
  /** Pause between steps (and session turns), ms; seeded per VU. */
  think_time: DistributionSchema.optional(),
  /** Pause after the iteration's last step, ms; seeded per VU. */
  iteration_think_time: DistributionSchema.optional(),
  /** Rows for `{{ row.* }}`: one per iteration (per turn in a session). */
  feeder: FeederSchema.optional(),
  cancel: CancelSchema.optional(),
  retry: RetrySchema.optional(),
  /** TypeScript tests only: `async (vu) => { await vu.chat({…}) }` instead of `steps`. */
  flow: z
    .custom<Flow>((v) => typeof v === 'function', {
      error: 'expected a function async (vu) => { … } (TypeScript tests only)',
    })
    .optional(),
};

/** A multi-turn conversation; `chat` holds the request fields (no `messages`). */
export function sessionSchema<T extends z.ZodType>(chat: T) {
  return z
    .strictObject({
      /** Turns per conversation; with `user_messages_from`, at most this many (default: all of the row's). */
      turns: turnsSchema.optional(),
      /** Optional system prompt (a template). */
      system: z.string().optional(),
      /** The user's message per turn (templates), used in order and cycled. */
      user_messages: z.array(z.string()).min(1).optional(),
      /**
       * A feeder column holding the whole conversation's user messages (a list): each
       * row is one conversation sent turn by turn (e.g. `turns` of a `format: sharegpt` feeder).
       */
      user_messages_from: z.string().regex(VARIABLE, { error: 'expected a feeder column name' }).optional(),
      chat,
    })
    .refine(
      (s) => {
        const session = s as {
          user_messages?: unknown;
          user_messages_from?: unknown;
          chat?: { synthetic?: unknown };
        };
        return (
          session.user_messages !== undefined ||
          session.user_messages_from !== undefined ||
          session.chat?.synthetic !== undefined
        );
      },
      {
        message: 'expected "user_messages" (or user_messages_from, or chat.synthetic)',
        path: ['user_messages'],
      },
    )
    .refine(
      (s) =>
        (s as { turns?: unknown }).turns !== undefined ||
        (s as { user_messages_from?: unknown }).user_messages_from !== undefined,
      {
        message: 'expected turns: a number of turns or a distribution',
        path: ['turns'],
      },
    );
}

type ScenarioShape = { steps?: unknown; session?: unknown; flow?: unknown; feeder?: unknown };

/** Exactly one of steps, session or flow; templates in steps and sessions compile. */
export function checkScenario(s: ScenarioShape, ctx: z.RefinementCtx): void {
  const forms = (['steps', 'session', 'flow'] as const).filter((k) => s[k] !== undefined);
  if (forms.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `expected exactly one of "steps", "session" or "flow"${forms.length > 1 ? `, got ${forms.join(' and ')}` : ''}`,
      path: forms.length > 1 ? [forms[1] as string] : ['steps'],
      input: undefined,
    });
  }
  if (
    (s.session as { user_messages_from?: unknown } | undefined)?.user_messages_from !== undefined &&
    s.feeder === undefined
  ) {
    ctx.addIssue({
      code: 'custom',
      message:
        'user_messages_from reads a feeder column, and this scenario has no feeder (add feeder: { file: … })',
      path: ['session', 'user_messages_from'],
      input: undefined,
    });
  }
  for (const key of ['steps', 'session'] as const) {
    for (const issue of findTemplateIssues(s[key])) {
      ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path], input: undefined });
    }
  }
}

/** What `checkTemplateNames` reads of a validated test. */
interface TemplateNamesInput {
  scenarios: {
    name: string;
    steps?: readonly Record<string, unknown>[] | undefined;
    session?: unknown;
    feeder?: unknown;
    flow?: unknown;
  }[];
  load: { executor: string };
}

/** The names a step body (or a session's chat) captures into `into`. */
function captureNames(holder: unknown, into: Set<string>): void {
  if (holder === null || typeof holder !== 'object') return;
  const capture = (holder as { capture?: unknown }).capture;
  if (capture !== null && typeof capture === 'object')
    for (const name of Object.keys(capture)) into.add(name);
}

/**
 * Every template variable can be set when the run reaches it: `row.*` needs
 * a feeder on the scenario, `vars.*` a capture of that name in an earlier
 * step, in the session, or in another scenario (vars persist per VU across
 * iterations and scenarios; a TypeScript flow may set any, so tests with a
 * flow skip the vars check), `trace.*` the trace executor, `turn` a session. Otherwise every iteration would fail before
 * sending anything.
 */
export function checkTemplateNames(test: TemplateNamesInput, ctx: z.RefinementCtx): void {
  // Where each variable is captured: scenario index → step indexes (-1: the session).
  const capturedAt = new Map<string, { scenario: number; step: number }[]>();
  let hasFlow = false;
  const note = (holder: unknown, scenario: number, step: number) => {
    const names = new Set<string>();
    captureNames(holder, names);
    for (const name of names) capturedAt.set(name, [...(capturedAt.get(name) ?? []), { scenario, step }]);
  };
  test.scenarios.forEach((scenario, i) => {
    if (scenario.flow !== undefined) hasFlow = true;
    scenario.steps?.forEach((step, j) => {
      for (const body of Object.values(step)) note(body, i, j);
    });
    note((scenario.session as { chat?: unknown } | undefined)?.chat, i, -1);
  });
  // A failed step ends its iteration, so within a scenario only an earlier step's capture
  // can feed a step; another scenario's capture may (vars persist per VU); in a session,
  // one turn's capture feeds the next.
  const varsProblem = (name: string, scenario: number, key: 'steps' | 'session', step: number) => {
    if (hasFlow) return undefined;
    const sites = capturedAt.get(name) ?? [];
    const usable = sites.some((site) => site.scenario !== scenario || key === 'session' || site.step < step);
    if (usable) return undefined;
    const later = sites.find((site) => site.scenario === scenario);
    if (later !== undefined) {
      return `vars.${name} is captured only by steps[${later.step}], which runs after this step (a failed step ends the iteration); capture it in an earlier step`;
    }
    return `no step captures "${name}", so vars.${name} is never set (add capture: { ${name}: … } to a step that runs before)`;
  };
  test.scenarios.forEach((scenario, i) => {
    for (const key of ['steps', 'session'] as const) {
      if (test.load.executor !== 'trace') {
        for (const { path, node } of objectsIn(scenario[key], [key])) {
          if (typeof node.from !== 'string') continue;
          ctx.addIssue({
            code: 'custom',
            message: `${node.from} is set only by executor: trace (this test uses ${test.load.executor})`,
            path: ['scenarios', i, ...path, 'from'],
            input: undefined,
          });
        }
      }
      for (const read of findTemplateReads(scenario[key])) {
        const name = String(read.keys[0] ?? '');
        let problem: string | undefined;
        if (read.root === 'row' && scenario.feeder === undefined) {
          problem = `scenario "${scenario.name}" has no feeder, so row.${name} is never set (add feeder: { file: … })`;
        } else if (read.root === 'vars') {
          problem = varsProblem(name, i, key, typeof read.path[0] === 'number' ? read.path[0] : -1);
        } else if (read.root === 'trace' && test.load.executor !== 'trace') {
          problem = `trace.${name} is set only by executor: trace (this test uses ${test.load.executor})`;
        } else if (read.root === 'turn' && key === 'steps') {
          problem = 'turn is set only in a session';
        }
        if (problem === undefined) continue;
        ctx.addIssue({
          code: 'custom',
          message: `${read.source}: ${problem}`,
          path: ['scenarios', i, key, ...read.path],
          input: undefined,
        });
      }
    }
  });
}

/** Every object inside `value` (itself included), with its path. */
function objectsIn(
  value: unknown,
  path: PropertyKey[],
): { path: PropertyKey[]; node: Record<string, unknown> }[] {
  if (value === null || typeof value !== 'object') return [];
  const here = Array.isArray(value) ? [] : [{ path, node: value as Record<string, unknown> }];
  return [
    ...here,
    ...Object.entries(value).flatMap(([k, v]) =>
      objectsIn(v, [...path, Array.isArray(value) ? Number(k) : k]),
    ),
  ];
}

/** The column names of a feeder file, when its first row can be read; undefined when not. */
async function feederColumns(
  file: string,
  format: 'csv' | 'jsonl' | 'sharegpt',
  delimiter: string,
): Promise<string[] | undefined> {
  if (format === 'sharegpt') return ['id', 'turns', 'replies'];
  try {
    if (format === 'csv') return await readCsvHeader(file, delimiter);
    for await (const { row } of readRows(file, 'jsonl')) return Object.keys(row);
  } catch {
    // A malformed first row is the feeder's own error, reported when it is read.
  }
  return undefined;
}

/**
 * `row.NAME` names a column of the scenario's feeder: the CSV header, or the
 * keys of a JSONL file's first row; an empirical token count's column is in
 * its file and holds numbers. Run after `resolveDataFiles`.
 * @throws ConfigError naming the field, the column and the columns there are.
 */
export async function checkDataColumns(
  test: {
    scenarios: {
      feeder?:
        | { file: string; format?: 'csv' | 'jsonl' | 'sharegpt' | undefined; delimiter: string }
        | undefined;
      steps?: unknown;
      session?: unknown;
    }[];
  },
  source: string,
): Promise<void> {
  const problems: string[] = [];
  for (const [i, scenario] of test.scenarios.entries()) {
    // Empirical token counts: the column must be there and hold numbers (read once, cached for the run).
    for (const key of ['steps', 'session'] as const) {
      for (const { path, node } of objectsIn(scenario[key], [key])) {
        if (node.dist !== 'empirical' || typeof node.file !== 'string' || typeof node.column !== 'string')
          continue;
        try {
          readEmpiricalColumn(node.file, node.column);
        } catch (err) {
          problems.push(
            `${source}: ${formatPath(['scenarios', i, ...path, 'column'])}: ${(err as Error).message}`,
          );
        }
      }
    }
    const feeder = scenario.feeder;
    if (feeder === undefined) continue;
    const reads = (['steps', 'session'] as const).flatMap((key) =>
      findTemplateReads(scenario[key], [key]).filter((r) => r.root === 'row'),
    );
    if (reads.length === 0) continue;
    const format = feeder.format ?? formatOf(feeder.file);
    if (format === undefined) continue;
    const columns = await feederColumns(feeder.file, format, feeder.delimiter);
    if (columns === undefined || columns.length === 0) continue;
    for (const read of reads) {
      const name = String(read.keys[0]);
      if (columns.includes(name)) continue;
      const what = format === 'csv' ? 'header' : 'first row';
      problems.push(
        `${source}: ${formatPath(['scenarios', i, ...read.path])}: ${read.source}: the feeder's ${what} has no column "${name}" (it has ${columns.map((c) => `"${c}"`).join(', ')})`,
      );
    }
  }
  if (problems.length > 0) throw new ConfigError([...new Set(problems)].join('\n'));
}

/** A test with relative data-file paths resolved against `baseDir`. */
interface WithDataFiles {
  /** The embedded mock's reference answers file (`mock.answers.file`). */
  mock?: { answers?: unknown } | undefined;
  scenarios: {
    feeder?: { file: string; format?: string | undefined } | undefined;
    steps?: unknown;
    session?: unknown;
  }[];
}

function resolveEmpirical(node: unknown, baseDir: string, check: (file: string) => string): void {
  if (node === null || typeof node !== 'object') return;
  const o = node as Record<string, unknown>;
  if (o.dist === 'empirical' && typeof o.file === 'string') o.file = check(o.file);
  for (const value of Object.values(o)) resolveEmpirical(value, baseDir, check);
}

/**
 * Agent tools' `result_from` files (any step whose body has `tools`): resolved against the test
 * file's directory and read, so a missing file, a bad row or an absent column fails before the run.
 */
function resolveToolRows(steps: unknown, baseDir: string, at: string, source: string): void {
  if (!Array.isArray(steps)) return;
  steps.forEach((step, j) => {
    if (step === null || typeof step !== 'object') return;
    for (const [kind, body] of Object.entries(step as Record<string, unknown>)) {
      const tools = (body as { tools?: unknown } | null)?.tools;
      if (!Array.isArray(tools)) continue;
      tools.forEach((tool, k) => {
        const from = (tool as { result_from?: ToolRowsSpec } | null)?.result_from;
        if (from === undefined || typeof from.file !== 'string') return;
        const path = `${at}.steps[${j}].${kind}.tools[${k}].result_from`;
        const given = from.file;
        from.file = isAbsolute(given) ? given : resolve(baseDir, given);
        if (!existsSync(from.file)) {
          throw new ConfigError(`${source}: ${path}.file: cannot read data file "${given}"`);
        }
        try {
          toolRows(from);
        } catch (err) {
          throw new ConfigError(`${source}: ${path}: ${(err as Error).message}`);
        }
      });
    }
  });
}

/**
 * Resolves feeder, empirical-distribution and tool-result files against the test file's
 * directory and checks they exist, so a wrong path fails before the run (exit 2).
 */
export function resolveDataFiles<T extends WithDataFiles>(test: T, baseDir: string, source: string): T {
  const answers = test.mock?.answers as { file?: unknown } | undefined;
  if (answers !== undefined && !Array.isArray(answers) && typeof answers.file === 'string') {
    const path = isAbsolute(answers.file) ? answers.file : resolve(baseDir, answers.file);
    if (!existsSync(path)) {
      throw new ConfigError(`${source}: mock.answers.file: cannot read data file "${answers.file}"`);
    }
    answers.file = path;
  }
  test.scenarios.forEach((scenario, i) => {
    const check = (field: string) => (file: string) => {
      const path = isAbsolute(file) ? file : resolve(baseDir, file);
      if (!existsSync(path)) {
        throw new ConfigError(`${source}: scenarios[${i}].${field}: cannot read data file "${file}"`);
      }
      return path;
    };
    if (scenario.feeder !== undefined) {
      scenario.feeder.file = check('feeder.file')(scenario.feeder.file);
      if (scenario.feeder.format === undefined && formatOf(scenario.feeder.file) === undefined) {
        throw new ConfigError(
          `${source}: scenarios[${i}].feeder.format: cannot tell CSV from JSONL by the file name; expected format: csv, jsonl or sharegpt`,
        );
      }
    }
    resolveEmpirical(scenario.steps, baseDir, check('steps'));
    resolveToolRows(scenario.steps, baseDir, `scenarios[${i}]`, source);
    resolveEmpirical(scenario.session, baseDir, check('session'));
  });
  return test;
}

/** A scenario of the test file: what one iteration sends, and how often (`weight`). */
export const ScenarioSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Share of iterations when there are several scenarios. */
    weight: z.number().nonnegative().default(1),
    /** Exactly one of `steps`, `session` or (TypeScript) `flow`. */
    steps: z.array(StepSchema).min(1, { error: 'expected at least one step' }).optional(),
    session: sessionSchema(SessionChatSchema).optional(),
    ...scenarioWorkloadFields,
  })
  .superRefine(checkScenario);

export type Scenario = z.output<typeof ScenarioSchema>;
