/**
 * @module core/validate
 * Validating a value, or a YAML/JSON file, against a zod schema, with the
 * errors every tokenstorm input gives: the source, the field path and what
 * was expected.
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, formatZodError } from './errors.js';

/**
 * Parses `input` with `schema`; `source` names it in messages.
 * @throws ConfigError naming the source, the field path and what was expected.
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, source: string): z.output<S> {
  const result = schema.safeParse(input ?? {}, { reportInput: true });
  if (!result.success) throw new ConfigError(formatZodError(source, result.error));
  return result.data;
}

/**
 * Most nodes an alias may stand for, counted as the yaml library does
 * (uses × size of the aliased node): a few hundred aliases of small anchors
 * pass; exponential expansion ("billion laughs") stops at once.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML (or JSON) text to plain values.
 * @throws ConfigError `file:line:col: invalid YAML: …` for a syntax error, an
 * alias that expands too far, or nesting too deep for the parser.
 */
export function parseYamlText(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const at = first.linePos?.[0];
    // prettyErrors adds " at line L, column C:" and an excerpt; the position is already in front.
    const message = first.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? '';
    throw new ConfigError(
      `${source}${at ? `:${at.line}:${at.col}` : ''}: invalid YAML: ${describeYamlFailure(message)}`,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    throw new ConfigError(`${source}: invalid YAML: ${describeYamlFailure((err as Error).message)}`);
  }
}

function describeYamlFailure(message: string): string {
  if (message.startsWith('Excessive alias count')) {
    return `aliases expand to too much data (at most ${MAX_ALIAS_COUNT} nodes through aliases; write the values out instead)`;
  }
  if (message.includes('Maximum call stack size exceeded')) return 'nested too deeply';
  return message;
}

/**
 * Reads a YAML (or JSON: YAML is a superset) file and parses it with `schema`.
 * `what` names the file's role in messages ("the profile", "the fault file").
 * @throws ConfigError when the file is missing, unparsable or invalid.
 */
export async function loadYamlWith<S extends z.ZodType>(
  schema: S,
  file: string,
  what: string,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String(err.code) : String(err);
    throw new ConfigError(`${file}: cannot read ${what} (${reason})`, 'TS_CONFIG_NOT_FOUND');
  }
  return parseWith(schema, parseYamlText(text, file), file);
}
