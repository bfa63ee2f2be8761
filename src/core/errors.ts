/**
 * @module core/errors
 * Errors a user can act on: which file, which field, what was expected.
 */
import type { z } from 'zod';

/** Stable codes, in the spirit of undici's error classes and k6's errext. */
export type TokenstormErrorCode = 'TS_CONFIG_INVALID' | 'TS_CONFIG_NOT_FOUND' | 'TS_ARGS_INVALID';

/** A test file or argument that cannot be used; the CLI exits 2 with `message`. */
export class ConfigError extends Error {
  readonly code: TokenstormErrorCode;
  constructor(message: string, code: TokenstormErrorCode = 'TS_CONFIG_INVALID') {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
  }
}

/** `load.rate`, `scenarios[0].steps[1].chat.model`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(root)' : out;
}

function describeInput(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (typeof input === 'string') return JSON.stringify(input);
  if (input === null || typeof input !== 'object') return String(input);
  const text = JSON.stringify(input);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.message.startsWith('Invalid input') ? `expected ${issue.expected}` : issue.message;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_value':
      return issue.message.startsWith('Invalid')
        ? `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
        : issue.message;
    case 'too_small':
      return issue.message.startsWith('Too small')
        ? `expected at least ${String(issue.minimum)}`
        : issue.message;
    case 'too_big':
      return issue.message.startsWith('Too big')
        ? `expected at most ${String(issue.maximum)}`
        : issue.message;
    case 'invalid_key': {
      // A record's key failed its own schema (e.g. a header name): say what the key should be.
      const inner = issue.issues[0];
      return inner === undefined ? 'invalid key' : describeIssue(inner as z.core.$ZodIssue);
    }
    case 'invalid_union':
      return issue.message === 'Invalid input' ? 'expected one of the allowed forms' : issue.message;
    default:
      return issue.message;
  }
}

/** How deep a union branch's issues go: the branch the input was meant to be gets furthest in. */
function branchDepth(issues: readonly z.core.$ZodIssue[]): number {
  return issues.length === 0 ? 0 : Math.min(...issues.map((i) => i.path.length));
}

/**
 * Replaces a union's "none of the forms" issue by the issues of the one form
 * the input was meant to be, when one got strictly further than the others:
 * `{ chat: { stream: "yes" } }` gets the chat branch's
 * `chat.stream: expected boolean`, not "expected a step". A tie (no key
 * matched, or several did) keeps the union's own message.
 */
function expandUnions(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
): z.core.$ZodIssue[] {
  return issues.flatMap((issue) => {
    const at = { ...issue, path: [...prefix, ...issue.path] } as z.core.$ZodIssue;
    if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [at];
    const depths = issue.errors.map(branchDepth);
    const best = Math.max(...depths);
    if (best === 0 || depths.filter((d) => d === best).length !== 1) return [at];
    return expandUnions(issue.errors[depths.indexOf(best)] ?? [], at.path);
  });
}

/** `, got "fast"`; nothing when the message already shows the value or the value is a whole object. */
function gotSuffix(issue: z.core.$ZodIssue, description: string): string {
  if (!('input' in issue) || issue.code === 'unrecognized_keys') return '';
  const input = issue.input;
  if (input === undefined) return '';
  if (issue.code === 'custom') {
    // A refinement's input is often the object around the field: showing it misleads.
    if (input === null || typeof input === 'object' || typeof input === 'function') return '';
    if (typeof input === 'string' && description.includes(describeInput(input))) return '';
  }
  return `, got ${describeInput(input)}`;
}

/**
 * One line per problem, e.g. `examples/bad.yaml: load.rate: expected a positive number, got "fast"`.
 * Parse with `reportInput: true` so the offending value can be shown.
 */
export function formatZodError(source: string, error: z.ZodError): string {
  const lines = expandUnions(error.issues, []).map((issue) => {
    // One line per problem, even when a message quotes a value with a line break.
    const description = describeIssue(issue).replaceAll('\r', '\\r').replaceAll('\n', '\\n');
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      return `${source}: ${formatPath(issue.path)}: missing, ${description}`;
    }
    return `${source}: ${formatPath(issue.path)}: ${description}${gotSuffix(issue, description)}`;
  });
  return [...new Set(lines)].join('\n');
}
