/**
 * @module config/env
 * `${VAR}` and `${VAR:-default}` in string values of a YAML test, resolved
 * after parsing so a value can never change the file's structure.
 */
import { ConfigError, formatPath } from '../core/index.js';

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** Replaces environment references in every string of `value`; names the field of a missing variable. */
export function substituteEnv(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  source: string,
  path: PropertyKey[] = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        `${source}: ${formatPath(path)}: environment variable ${name} is not set (set it, pass -e ${name}=…, or write \${${name}:-default})`,
      );
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, source, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      out[key] = substituteEnv(item, env, source, [...path, key]);
    return out;
  }
  return value;
}

/** Parses `-e K=V` arguments. */
export function parseEnvArgs(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ConfigError(`-e ${pair}: expected KEY=VALUE`, 'TS_ARGS_INVALID');
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
