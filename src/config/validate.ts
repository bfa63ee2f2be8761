/**
 * @module config/validate
 * Validating a value, or a YAML/JSON file, against a zod schema, with the
 * errors every tokenstorm input gives: the source, the field path and what
 * was expected.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
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
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${file}: not valid YAML or JSON: ${reason}`);
  }
  return parseWith(schema, data, file);
}
