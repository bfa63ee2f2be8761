/**
 * Property tests (fast-check, fixed seeds): valid test files mutated at random
 * (fields deleted, retyped, renamed, duplicated; absurd numbers; deep nesting;
 * YAML aliases that expand exponentially) either load or fail with a
 * ConfigError whose every line names the file and a field (or the YAML
 * position), never another exception, within a time bound generous for a
 * loaded machine and without the memory of an expansion.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ConfigError } from '../core/index.js';
import { executorFor } from '../load/index.js';
import { Workload } from '../workload/index.js';
import { loadTest, type Overrides } from './load-test.js';

const dir = mkdtempSync(join(tmpdir(), 'tokenstorm-fuzz-'));
mkdirSync(join(dir, 'data'));
cpSync('examples/data', join(dir, 'data'), { recursive: true });

/** Valid files to mutate: the examples (their data files are copied beside the mutants). */
const BASES = [
  'quickstart',
  'chat-app',
  'spike',
  'capacity-sweep',
  'open-model',
  'trace-replay',
  'ci-gate',
  'cancellation',
].map((name) => parse(readFileSync(`examples/${name}.yaml`, 'utf8')) as unknown);

/** A case may take this long: a hang or an expansion, not a slow machine, exceeds it. */
const CASE_BOUND_MS = 20_000;
/** More heap than any one case may leave behind (an exponential expansion takes gigabytes). */
const HEAP_BOUND = 512 * 1024 * 1024;

type Key = string | number;

function pathsOf(value: unknown, at: Key[] = []): Key[][] {
  const out: Key[][] = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...at, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  }
  return out;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function parentOf(root: unknown, path: Key[]): Record<Key, unknown> | undefined {
  let node = root;
  for (const key of path.slice(0, -1)) node = (node as Record<Key, unknown>)[key];
  return node !== null && typeof node === 'object' ? (node as Record<Key, unknown>) : undefined;
}

const ABSURD = [
  0,
  -1,
  -0.5,
  0.5,
  1e-300,
  1e300,
  -1e300,
  2 ** 53 + 1,
  2 ** 31,
  Number.MAX_SAFE_INTEGER,
  Number.POSITIVE_INFINITY,
  Number.NaN,
];

/** Replacement values: other types, absurd numbers, odd strings, nested junk. */
const junk = fc.oneof(
  fc.constantFrom(...ABSURD),
  fc.constantFrom(
    '',
    ' ',
    'yes',
    '10x',
    '-5s',
    '1e999',
    '\r\n',
    '{{ row.x }}',
    '{{ vars.nope }}',
    '{{',
    '$.a',
    '.*(',
  ),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.double(),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 }), { maxKeys: 4 }),
  // Deep nesting, within what YAML can print.
  fc.integer({ min: 20, max: 300 }).map((depth) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
    return v;
  }),
);

type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'retype'; at: number; value: unknown }
  | { kind: 'rename'; at: number; name: string }
  | { kind: 'duplicate'; at: number; name: string }
  | { kind: 'absurd'; at: number; value: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A number or duration given an absurd value (weights, VUs, rates, durations, counts).
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('absurd' as const),
      at: fc.nat(),
      value: fc.constantFrom(...ABSURD, 1e12),
    }),
  },
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('retype' as const), at: fc.nat(), value: junk }),
  fc.record({
    kind: fc.constant('rename' as const),
    at: fc.nat(),
    name: fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('name', 'steps', 'chat', 'http', 'vus', 'rate'),
    ),
  }),
  fc.record({
    kind: fc.constant('duplicate' as const),
    at: fc.nat(),
    name: fc.constantFrom('name', 'steps', 'session', 'flow', 'chat', 'http', 'completion', 'load', 'x'),
  }),
);

function mutate(doc: unknown, m: Mutation): unknown {
  const root = { doc: clone(doc) };
  const all = pathsOf(root.doc, ['doc']);
  const numeric = all.filter((p) => {
    const v = parentOf(root, p)?.[p.at(-1) as Key];
    return typeof v === 'number' || (typeof v === 'string' && /^\d+(?:ms|s|m|h)$/.test(v));
  });
  const paths = m.kind === 'absurd' && numeric.length > 0 ? numeric : all;
  const path = paths[m.at % paths.length] as Key[];
  const parent = parentOf(root, path) as Record<Key, unknown>;
  const key = path.at(-1) as Key;
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'retype':
    case 'absurd':
      parent[key] = m.value;
      break;
    case 'rename':
      if (!Array.isArray(parent) && key !== 'doc') {
        const value = parent[key];
        delete parent[key];
        parent[m.name] = value;
      }
      break;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(key as number, 0, clone(parent[key]));
      else parent[m.name] = clone(parent[key]);
      break;
  }
  return root.doc;
}

const overrides: fc.Arbitrary<Overrides> = fc.record(
  {
    vus: fc.constantFrom(1, 3, 1e9),
    rate: fc.constantFrom(0.5, 20),
    duration: fc.constantFrom('1s', '3x', '10', ''),
    target: fc.constantFrom('mock', 'ftp://h', 'http://127.0.0.1:9/v1'),
  },
  { requiredKeys: [] },
);

let written = 0;
function writeCase(text: string): string {
  const path = join(dir, `case-${written++}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Loads `text` and checks the outcome; returns the error message when it failed. */
async function check(text: string, flags: Overrides = {}): Promise<string | undefined> {
  const path = writeCase(text);
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`loading took over ${CASE_BOUND_MS} ms`)), CASE_BOUND_MS);
  });
  let err: unknown;
  try {
    const test = await Promise.race([
      loadTest(path, { overrides: flags, env: { TARGET: 'mock', MODEL: 'm' } }),
      bound,
    ]);
    // What a valid file must then build without any I/O to a target: the plan (a ConfigError
    // here is reported with the file, as `tokenstorm run` does) and the request mix.
    try {
      executorFor(test.load);
    } catch (e) {
      throw e instanceof ConfigError ? new ConfigError(`${path}: ${e.message}`) : e;
    }
    new Workload(test, 'http://127.0.0.1:9/v1');
  } catch (e) {
    err = e;
  } finally {
    clearTimeout(timer);
  }
  if (err === undefined) return undefined;
  if (!(err instanceof ConfigError)) {
    throw new Error(
      `not a ConfigError: ${(err as Error)?.stack ?? String(err)}\n--- file:\n${text.slice(0, 2000)}`,
    );
  }
  for (const line of err.message.split('\n')) {
    // `FILE: field.path: what was expected`, `FILE:L:C: invalid YAML: …`, or `--flag: …`.
    const named = line.startsWith(`${path}:`) || /^--[a-z]+(?: and --[a-z]+)?: \S/.test(line);
    expect(named, `${line}\n--- file:\n${text.slice(0, 2000)}`).toBe(true);
    expect(line, line).not.toMatch(/:$/);
    if (!line.startsWith(path)) continue;
    expect(line.slice(path.length), line).toMatch(
      /^(?::\d+:\d+)?: (?:invalid YAML: \S.*|.+?: \S.*|cannot read \S.*)$/,
    );
  }
  return err.message;
}

describe('mutated test files', () => {
  it('load, or fail with exit-2 errors naming the file and a field (400 cases)', async () => {
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: BASES.length - 1 }),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        // Flags on one case in five, so most cases reach the file's own checks.
        fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: overrides }),
        async (base, mutations, flags) => {
          const doc = mutations.reduce((d, m) => mutate(d, m), BASES[base]);
          const message = await check(stringify(doc ?? null, { aliasDuplicateObjects: false }), flags ?? {});
          if (message !== undefined) failed++;
        },
      ),
      { numRuns: 400, seed: 34_9, endOnFailure: true },
    );
    // Most mutants are invalid: the property exercised the error paths, not only valid files.
    expect(failed).toBeGreaterThan(200);
  }, 600_000);

  it('reject YAML aliases that expand exponentially, wherever they are used (60 cases)', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: BASES.length - 1 }),
        fc.nat(),
        fc.integer({ min: 4, max: 12 }),
        fc.integer({ min: 4, max: 30 }),
        async (base, at, width, depth) => {
          const doc = clone(BASES[base]) as Record<string, unknown>;
          const paths = pathsOf(doc).filter((p) => p.length > 0);
          const path = paths[at % paths.length] as Key[];
          (parentOf({ doc }, ['doc', ...path]) as Record<Key, unknown>)[path.at(-1) as Key] = '__BOMB__';
          // Anchors first (document order), each level `width` aliases of the one below.
          const anchors = [`$schema: &a0 [${Array(width).fill('lol').join(', ')}]`];
          for (let i = 1; i < depth; i++) {
            anchors.push(
              `x${i}: &a${i} [${Array(width)
                .fill(`*a${i - 1}`)
                .join(', ')}]`,
            );
          }
          const body = stringify(doc).replace(/(['"]?)__BOMB__\1/, `*a${depth - 1}`);
          const message = await check(`${anchors.join('\n')}\n${body}`);
          expect(message).toMatch(/invalid YAML: aliases expand to too much data/);
          expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(HEAP_BOUND);
        },
      ),
      { numRuns: 60, seed: 34_91, endOnFailure: true },
    );
  }, 600_000);

  it('reject nesting deeper than the YAML parser takes (20 cases)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: BASES.length - 1 }),
        fc.nat(),
        fc.integer({ min: 2_000, max: 20_000 }),
        fc.boolean(),
        async (base, at, depth, flow) => {
          const doc = clone(BASES[base]);
          const paths = pathsOf(doc).filter((p) => p.length > 0);
          const path = paths[at % paths.length] as Key[];
          (parentOf({ doc }, ['doc', ...path]) as Record<Key, unknown>)[path.at(-1) as Key] = '__DEEP__';
          const deep = flow
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `${'{ a: '.repeat(depth)}1${' }'.repeat(depth)}`;
          const message = await check(stringify(doc).replace(/(['"]?)__DEEP__\1/, deep));
          expect(message).toMatch(/invalid YAML: /);
        },
      ),
      { numRuns: 20, seed: 34_92, endOnFailure: true },
    );
  }, 600_000);
});
