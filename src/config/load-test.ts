/**
 * @module config/load-test
 * Reads a test file (YAML or TypeScript), applies command-line overrides and
 * validates it against `TestSchema`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, relative, resolve } from 'node:path';
import { createJiti } from 'jiti';
import { parseDocument } from 'yaml';
import { substituteEnv } from './env.js';
import { ConfigError } from './errors.js';
import { type Test, TestSchema } from './schema.js';
import { parseWith } from './validate.js';
import { resolveDataFiles } from './workload-schema.js';

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
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0] as (typeof doc.errors)[number];
    const at = first.linePos?.[0];
    throw new ConfigError(
      `${source}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${first.message.split('\n')[0]}`,
    );
  }
  return substituteEnv(doc.toJS(), env ?? process.env, source);
}

async function readModule(file: string, source: string): Promise<unknown> {
  const jiti = createJiti(import.meta.url, { moduleCache: false });
  try {
    return await jiti.import(file, { default: true });
  } catch (err) {
    throw new ConfigError(`${source}: cannot load the test module: ${(err as Error).message}`);
  }
}

/** Applies `--target/--vus/--rate/--duration` to the raw object before validation. */
export function applyOverrides(raw: unknown, overrides: Overrides): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const test = { ...(raw as Record<string, unknown>) };
  if (overrides.target !== undefined) test.target = overrides.target;
  const load =
    test.load !== null && typeof test.load === 'object' ? { ...(test.load as Record<string, unknown>) } : {};
  // --vus turns the test into a closed model and --rate into an open one, as k6's flags do.
  if (overrides.vus !== undefined) {
    load.executor = 'constant-vus';
    load.vus = overrides.vus;
    delete load.rate;
    delete load.max_vus;
  }
  if (overrides.rate !== undefined) {
    load.executor = 'constant-arrival-rate';
    load.rate = overrides.rate;
    delete load.vus;
    delete load.think_time;
  }
  if (overrides.duration !== undefined) load.duration = overrides.duration;
  if (overrides.vus !== undefined || overrides.rate !== undefined || overrides.duration !== undefined) {
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
  return test;
}
