/**
 * @module config/load-test
 * Reads a test file (YAML or TypeScript), applies command-line overrides and
 * validates it against `TestSchema`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ConfigError,
  inBundle,
  MAX_DURATION_MS,
  parseDurationMs,
  parseWith,
  parseYamlText,
} from '../core/index.js';
import { checkDataColumns, resolveDataFiles } from '../workload/index.js';
import { substituteEnv } from './env.js';
import { type Test, TestSchema } from './schema.js';

/** Command-line values that replace the file's (docs/architecture.md#the-pipeline). */
export interface Overrides {
  target?: string | undefined;
  vus?: number | undefined;
  rate?: number | undefined;
  duration?: string | undefined;
  /** `--model NAME`: replaces every model step's model (the test's `model_override`). */
  model?: string | undefined;
  /** `--sample F`: runs only this fraction of iterations, chosen by the seed (the test's `sample`). */
  sample?: number | undefined;
}

export interface LoadTestOptions {
  overrides?: Overrides;
  /** Variables for `${VAR}`; `-e K=V` values win over the process environment. */
  env?: Readonly<Record<string, string | undefined>>;
}

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts', '.js', '.mjs']);

/** How the file is named in messages: relative to the working directory when inside it. */
function displayName(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

async function readYaml(file: string, source: string, env: LoadTestOptions['env']): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`${source}: cannot read the test file`, 'TS_CONFIG_NOT_FOUND');
  }
  return substituteEnv(parseYamlText(text, source), env ?? process.env, source);
}

/**
 * The running tokenstorm's entry (dist/bundle/index.js, dist/index.js, or src/index.ts under
 * the tests): a test file's `import … from 'tokenstorm'` resolves to it wherever the file
 * lives, as k6 provides its `k6/*` modules, so a test needs no install of its own. The
 * bundle's own entry shares its chunks, so the test and the engine share one copy of each module.
 */
function ownEntry(): string {
  if (inBundle(import.meta.url)) return fileURLToPath(new URL('./index.js', import.meta.url));
  // Built: dist/config → dist/index.js. From src/ (the tests): the built dist beside it, loaded
  // natively; src/index.ts only when nothing is built (jiti then transpiles the whole tree).
  const candidates = ['../index.js', '../../dist/index.js', '../index.ts'].map((p) =>
    fileURLToPath(new URL(p, import.meta.url)),
  );
  return candidates.find((c) => existsSync(c)) ?? (candidates[0] as string);
}

async function readModule(file: string, source: string): Promise<unknown> {
  // Loaded only for a TypeScript test: YAML users (and every worker of a YAML test) never pay for it.
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { moduleCache: false, alias: { tokenstorm: ownEntry() } });
  try {
    return await jiti.import(file, { default: true });
  } catch (err) {
    throw new ConfigError(`${source}: cannot load the test module: ${(err as Error).message}`);
  }
}

/** Executors whose load `--vus` can set: it has a fixed number of VUs, or switches an open model to a closed one. */
const VUS_EXECUTORS = ['constant-vus', 'constant-arrival-rate', 'per-vu-iterations', 'shared-iterations'];
/** Executors `--rate` can turn into `constant-arrival-rate` keeping their bounds. */
const RATE_EXECUTORS = ['constant-vus', 'constant-arrival-rate', 'shared-iterations'];

/** Why a flag cannot reshape an executor's load. */
const WHY_NOT: Record<string, string> = {
  'ramping-vus': 'its stages or shape set the VUs over time',
  'ramping-arrival-rate': 'its stages or shape set the rate over time',
  trace: 'the trace sets the arrivals',
  sweep: 'the sweep steps the load itself',
  'per-vu-iterations': 'its iterations are counted per VU',
};

function argError(message: string): ConfigError {
  return new ConfigError(message, 'TS_ARGS_INVALID');
}

/** `--duration`: a duration string or a number of seconds, as in the file. */
function durationFlag(value: string): string | number {
  const seconds = /^\s*\d+(?:\.\d+)?\s*$/.test(value) ? Number(value) : undefined;
  const ms = seconds === undefined ? parseDurationMs(value) : seconds * 1000;
  if (ms === undefined || ms <= 0 || ms > MAX_DURATION_MS) {
    throw argError(
      `--duration: expected a duration such as "30s", "500ms", "2m" or a number of seconds (at most 24 days), got ${JSON.stringify(value)}`,
    );
  }
  return seconds ?? value;
}

function checkTargetFlag(value: string): void {
  if (value === 'mock') return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw argError(`--target: expected "mock" or an http(s) URL, got ${JSON.stringify(value)}`);
  }
}

/**
 * Applies `--target/--vus/--rate/--duration` to the raw object before validation.
 * @throws ConfigError (TS_ARGS_INVALID) naming the flag: a bad value, or a flag
 * the file's executor cannot take (a staged, shaped, trace or sweep load sets its own).
 */
export function applyOverrides(raw: unknown, overrides: Overrides): unknown {
  if (overrides.target !== undefined) checkTargetFlag(overrides.target);
  const duration = overrides.duration === undefined ? undefined : durationFlag(overrides.duration);
  if (overrides.vus !== undefined && overrides.rate !== undefined) {
    throw argError('--vus and --rate: expected one of them (--vus makes a closed model, --rate an open one)');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const test = { ...(raw as Record<string, unknown>) };
  if (overrides.target !== undefined) test.target = overrides.target;
  if (overrides.model !== undefined) test.model_override = overrides.model;
  if (overrides.sample !== undefined) test.sample = overrides.sample;
  const load =
    test.load !== null && typeof test.load === 'object' ? { ...(test.load as Record<string, unknown>) } : {};
  const executor = load.executor;
  const refuse = (flag: string, allowed: string[]) => {
    if (typeof executor !== 'string' || allowed.includes(executor) || !(executor in WHY_NOT)) return;
    throw argError(
      `${flag}: cannot apply to load.executor "${executor}" (${WHY_NOT[executor]}); it applies to ${allowed.join(', ')}; change the load in the file instead (--duration can cut any load short)`,
    );
  };
  // --vus turns the test into a closed model and --rate into an open one, as k6's flags do.
  if (overrides.vus !== undefined) {
    refuse('--vus', VUS_EXECUTORS);
    if (executor !== 'per-vu-iterations' && executor !== 'shared-iterations') {
      load.executor = 'constant-vus';
      delete load.rate;
      delete load.max_vus;
      delete load.arrival;
    }
    load.vus = overrides.vus;
  }
  if (overrides.rate !== undefined) {
    refuse('--rate', RATE_EXECUTORS);
    load.executor = 'constant-arrival-rate';
    load.rate = overrides.rate;
    delete load.vus;
    delete load.think_time;
  }
  if (duration !== undefined) load.duration = duration;
  if (overrides.vus !== undefined || overrides.rate !== undefined || duration !== undefined) {
    test.load = load;
  }
  return test;
}

/** Validates a test object; `source` names it in errors. */
export function parseTest(raw: unknown, source: string): Test {
  return parseWith(TestSchema, raw, source);
}

/** Reads a YAML or TypeScript test file into its raw object (before overrides and validation). */
export async function readTestFile(path: string, env?: LoadTestOptions['env']): Promise<unknown> {
  const file = resolve(path);
  const source = displayName(file);
  return TS_EXTENSIONS.has(extname(file))
    ? await readModule(file, source)
    : await readYaml(file, source, env);
}

/**
 * Overrides, validates and checks a raw test object: the one path from a test's
 * object to a runnable `Test`, shared by `run`, `validate` and `bench` (whose
 * test is built in memory). Data files are named relative to `baseDir`.
 */
export async function prepareTest(
  raw: unknown,
  baseDir: string,
  source: string,
  overrides: Overrides = {},
): Promise<Test> {
  // Feeder and trace files are named relative to the test file, as a user reads it.
  const test = resolveDataFiles(parseTest(applyOverrides(raw, overrides), source), baseDir, source);
  if (test.load.executor === 'trace') {
    const trace = resolve(baseDir, test.load.file);
    if (!existsSync(trace)) {
      throw new ConfigError(`${source}: load.file: cannot read the trace file "${test.load.file}"`);
    }
    test.load.file = trace;
  }
  await checkDataColumns(test, source);
  return test;
}

/** Loads, overrides and validates a YAML or TypeScript test file. */
export async function loadTest(path: string, options: LoadTestOptions = {}): Promise<Test> {
  const file = resolve(path);
  const raw = await readTestFile(file, options.env);
  return prepareTest(raw, dirname(file), displayName(file), options.overrides ?? {});
}
