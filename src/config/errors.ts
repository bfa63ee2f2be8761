/**
 * @module config/errors
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
    case 'invalid_union':
      return issue.message === 'Invalid input' ? 'expected one of the allowed forms' : issue.message;
    default:
      return issue.message;
  }
}

/**
 * One line per problem, e.g. `examples/bad.yaml: load.rate: expected a positive number, got "fast"`.
 * Parse with `reportInput: true` so the offending value can be shown.
 */
export function formatZodError(source: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const got =
      'input' in issue && issue.code !== 'unrecognized_keys' ? `, got ${describeInput(issue.input)}` : '';
    return `${source}: ${formatPath(issue.path)}: ${describeIssue(issue)}${got}`;
  });
  return [...new Set(lines)].join('\n');
}
