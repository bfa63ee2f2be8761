/**
 * @module workload/template
 * `{{ … }}` templates in request fields: variables (`row.question`,
 * `vars.token`, `vu`, `iteration`, `turn`, `scenario`), seeded random helpers
 * (`random.int(1, 10)`) and two filters (`| json`, `| url`). No code runs: a
 * template is parsed once into parts, and rendering only looks values up.
 */
import type { Rng } from '../random/index.js';

/** What a template can read while an iteration runs. */
export interface TemplateScope {
  vu: number;
  iteration: number;
  scenario: string;
  turn?: number | undefined;
  row?: Readonly<Record<string, unknown>> | undefined;
  vars: Readonly<Record<string, unknown>>;
  /** The replayed trace row of the iteration (`executor: trace`): `trace.input_tokens`, … */
  trace?: Readonly<Record<string, unknown>> | undefined;
  /** The iteration's seeded random source, for `random.*`. */
  rng: Rng;
}

/** A template that cannot be rendered (a variable is not set); the step fails with `script_error`. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

const ROOTS = new Set(['row', 'vars', 'trace', 'vu', 'iteration', 'scenario', 'turn']);
const RANDOM_HELPERS: Record<string, { min: number; max: number }> = {
  int: { min: 2, max: 2 },
  float: { min: 2, max: 2 },
  pick: { min: 1, max: Number.POSITIVE_INFINITY },
  uuid: { min: 0, max: 0 },
  hex: { min: 1, max: 1 },
};
const FILTERS = new Set(['json', 'url']);

type Literal = string | number;
type Expr =
  | { type: 'path'; source: string; root: string; keys: (string | number)[]; filters: string[] }
  | { type: 'random'; source: string; helper: string; args: Literal[]; filters: string[] };
type Part = string | Expr;

/** A parsed template: literal text and expressions, in order. */
export interface Template {
  readonly source: string;
  readonly parts: readonly Part[];
}

/** A variable a template reads: `{{ row.q }}` → `{ root: 'row', keys: ['q'] }`. */
export interface TemplateRead {
  readonly source: string;
  readonly root: string;
  readonly keys: readonly (string | number)[];
}

/** The variables `template` reads (random helpers read none), for checks at load time. */
export function templateReads(template: Template): TemplateRead[] {
  const reads: TemplateRead[] = [];
  for (const part of template.parts) {
    if (typeof part !== 'string' && part.type === 'path') {
      reads.push({ source: part.source, root: part.root, keys: part.keys });
    }
  }
  return reads;
}

/** True when `text` holds at least one `{{`, so it needs compiling. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*/;

function parseArgs(text: string, source: string): Literal[] {
  const args: Literal[] = [];
  let rest = text.trim();
  while (rest !== '') {
    const str = /^(?:'([^']*)'|"([^"]*)")/.exec(rest);
    const num = /^-?\d+(?:\.\d+)?/.exec(rest);
    if (str !== null) {
      args.push(str[1] ?? str[2] ?? '');
      rest = rest.slice(str[0].length).trim();
    } else if (num !== null) {
      args.push(Number(num[0]));
      rest = rest.slice(num[0].length).trim();
    } else {
      throw new Error(`${source}: expected a number or a quoted string as argument, got "${rest}"`);
    }
    if (rest.startsWith(',')) rest = rest.slice(1).trim();
    else if (rest !== '') throw new Error(`${source}: expected "," between arguments`);
  }
  return args;
}

function parsePath(text: string, source: string): { root: string; keys: (string | number)[] } {
  const root = IDENT.exec(text)?.[0];
  if (root === undefined || !ROOTS.has(root)) {
    throw new Error(
      `${source}: unknown variable "${text.split(/[.[]/)[0]}"; expected row.*, vars.*, vu, iteration, turn, scenario or random.*(…)`,
    );
  }
  const keys: (string | number)[] = [];
  let rest = text.slice(root.length);
  while (rest !== '') {
    const dot = /^\.([A-Za-z0-9_-]+)/.exec(rest);
    const index = /^\[(\d+)\]/.exec(rest);
    const quoted = /^\[(?:'([^']*)'|"([^"]*)")\]/.exec(rest);
    if (dot !== null) keys.push(dot[1] as string);
    else if (index !== null) keys.push(Number(index[1]));
    else if (quoted !== null) keys.push(quoted[1] ?? quoted[2] ?? '');
    else throw new Error(`${source}: cannot read "${rest}" in "${text}"`);
    rest = rest.slice((dot ?? index ?? quoted)?.[0].length ?? rest.length);
  }
  if ((root === 'row' || root === 'vars') && keys.length === 0) {
    throw new Error(`${source}: name a field, e.g. ${root}.name`);
  }
  return { root, keys };
}

function parseExpr(inner: string): Expr {
  const source = `{{${inner}}}`;
  const [head = '', ...filterTexts] = inner.split('|').map((s) => s.trim());
  const filters = filterTexts.map((f) => {
    if (!FILTERS.has(f)) throw new Error(`${source}: unknown filter "${f}"; expected json or url`);
    return f;
  });
  if (head === '') throw new Error(`${source}: empty expression`);
  const call = /^random\.([A-Za-z]+)\s*\((.*)\)$/.exec(head);
  if (call !== null) {
    const helper = call[1] as string;
    const arity = RANDOM_HELPERS[helper];
    if (arity === undefined) {
      throw new Error(
        `${source}: unknown helper random.${helper}; expected ${Object.keys(RANDOM_HELPERS).join(', ')}`,
      );
    }
    const args = parseArgs(call[2] as string, source);
    if (args.length < arity.min || args.length > arity.max) {
      throw new Error(
        `${source}: random.${helper} takes ${arity.min === arity.max ? arity.min : `at least ${arity.min}`} argument(s)`,
      );
    }
    if (
      (helper === 'int' || helper === 'float' || helper === 'hex') &&
      args.some((a) => typeof a !== 'number')
    ) {
      throw new Error(`${source}: random.${helper} takes numbers`);
    }
    return { type: 'random', source, helper, args, filters };
  }
  return { type: 'path', source, ...parsePath(head, source), filters };
}

/**
 * Parses a template once. Throws an Error saying what is wrong (unknown
 * variable, helper or filter, unclosed `{{`); the schema reports it with the field path.
 */
export function compileTemplate(text: string): Template {
  const parts: Part[] = [];
  let at = 0;
  while (at < text.length) {
    const open = text.indexOf('{{', at);
    if (open === -1) {
      parts.push(text.slice(at));
      break;
    }
    if (open > at) parts.push(text.slice(at, open));
    const close = text.indexOf('}}', open + 2);
    if (close === -1) throw new Error(`unclosed "{{" in "${text.slice(open, open + 40)}"`);
    parts.push(parseExpr(text.slice(open + 2, close)));
    at = close + 2;
  }
  return { source: text, parts };
}

function lookup(expr: Extract<Expr, { type: 'path' }>, scope: TemplateScope): unknown {
  let value: unknown;
  switch (expr.root) {
    case 'row':
      if (scope.row === undefined) throw new TemplateError(`${expr.source}: this scenario has no feeder row`);
      value = scope.row;
      break;
    case 'vars':
      value = scope.vars;
      break;
    case 'trace':
      if (scope.trace === undefined)
        throw new TemplateError(`${expr.source}: only a replayed trace (executor: trace) sets trace.*`);
      value = scope.trace;
      break;
    default:
      value = scope[expr.root as 'vu' | 'iteration' | 'scenario' | 'turn'];
  }
  for (const key of expr.keys) {
    if (value === null || typeof value !== 'object') {
      value = undefined;
      break;
    }
    value = Object.hasOwn(value, key) ? (value as Record<string | number, unknown>)[key] : undefined;
  }
  if (value === undefined)
    throw new TemplateError(`${expr.source}: ${expr.source.slice(2, -2).trim()} is not set`);
  return value;
}

function randomValue(expr: Extract<Expr, { type: 'random' }>, rng: Rng): unknown {
  const [a, b] = expr.args as number[];
  switch (expr.helper) {
    case 'int': {
      const lo = Math.ceil(Math.min(a as number, b as number));
      const hi = Math.floor(Math.max(a as number, b as number));
      return lo + Math.floor(rng() * (hi - lo + 1));
    }
    case 'float':
      return (a as number) + ((b as number) - (a as number)) * rng();
    case 'pick':
      return expr.args[Math.floor(rng() * expr.args.length)];
    case 'hex':
      return Array.from({ length: Math.max(0, Math.floor(a as number)) }, () =>
        Math.floor(rng() * 16).toString(16),
      ).join('');
    default: {
      // A v4-shaped UUID from the seeded source, so a run reproduces.
      const h = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16));
      h[12] = '4';
      h[16] = ((Number.parseInt(h[16] as string, 16) & 0x3) | 0x8).toString(16);
      const s = h.join('');
      return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
    }
  }
}

function evaluate(expr: Expr, scope: TemplateScope): unknown {
  let value = expr.type === 'path' ? lookup(expr, scope) : randomValue(expr, scope.rng);
  for (const filter of expr.filters) {
    value = filter === 'json' ? JSON.stringify(value) : encodeURIComponent(stringOf(value));
  }
  return value;
}

function stringOf(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

/** Renders to a string. @throws TemplateError when a variable is not set. */
export function renderTemplate(template: Template, scope: TemplateScope): string {
  let out = '';
  for (const part of template.parts) out += typeof part === 'string' ? part : stringOf(evaluate(part, scope));
  return out;
}

/**
 * Renders to a value: a template that is exactly one `{{ expr }}` keeps the
 * value's type (a number stays a number in a JSON body); anything else is a string.
 */
export function renderValue(template: Template, scope: TemplateScope): unknown {
  const only = template.parts.length === 1 ? template.parts[0] : undefined;
  if (only !== undefined && typeof only !== 'string') return evaluate(only, scope);
  return renderTemplate(template, scope);
}
