/**
 * @module config/load-test
 * Reads a test file (YAML or TypeScript), applies command-line overrides and
 * validates it against `TestSchema`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, relative, resolve } from 'node:path';
import { ConfigError, MAX_DURATION_MS, parseDurationMs, parseWith, parseYamlText } from '../core/index.js';
import { checkDataColumns, resolveDataFiles } from '../workload/index.js';
import { substituteEnv } from './env.js';
import { type Test, TestSchema } from './schema.js';

/** Command-line values that replace the file's (DESIGN.md §1). */
export interface Overrides {
  target?: string | undefined;
  vus?: number | undefined;
  rate?: number | undefined;
  duration?: string | undefined;
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

async function readModule(file: string, source: string): Promise<unknown> {
  // Loaded only for a TypeScript test: YAML users (and every worker of a YAML test) never pay for it.
  const { createJiti } = await import('jiti');
  const jiti = createJiti(import.meta.url, { moduleCache: false });
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

/** Loads, overrides and validates a YAML or TypeScript test file. */
export async function loadTest(path: string, options: LoadTestOptions = {}): Promise<Test> {
  const file = resolve(path);
  const source = displayName(file);
  const raw = TS_EXTENSIONS.has(extname(file))
    ? await readModule(file, source)
    : await readYaml(file, source, options.env);
  // Feeder and trace files are named relative to the test file, as a user reads it.
  const test = resolveDataFiles(
    parseTest(applyOverrides(raw, options.overrides ?? {}), source),
    dirname(file),
    source,
  );
  if (test.load.executor === 'trace') {
    const trace = resolve(dirname(file), test.load.file);
    if (!existsSync(trace)) {
      throw new ConfigError(`${source}: load.file: cannot read the trace file "${test.load.file}"`);
    }
    test.load.file = trace;
  }
  await checkDataColumns(test, source);
  return test;
}
