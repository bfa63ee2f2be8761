/**
 * @module workload/capture
 * Correlation: values taken from one response (JSONPath on the body, regex,
 * header, cookie) into variables that later requests' templates read.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { compileJsonPath, type JsonPath, queryJsonPath } from '../protocols/json-path.js';

/** A capture as written in the test (`capture: { token: { json: $.token } }`). */
export interface CaptureSpec {
  json?: string | undefined;
  regex?: string | undefined;
  group?: number | undefined;
  header?: string | undefined;
  cookie?: string | undefined;
}

/** What a capture reads: the response headers and its body (or a model's reply text). */
export interface CaptureSource {
  headers: IncomingHttpHeaders;
  body: string;
}

type Extract = (source: CaptureSource, parsed: () => unknown) => unknown;

/** A capture ready to run, with its name and a description for error messages. */
export interface CompiledCapture {
  name: string;
  describe: string;
  extract: Extract;
}

function headerValues(headers: IncomingHttpHeaders, name: string): string[] {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [String(value)];
}

function cookieValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const line of headerValues(headers, 'set-cookie')) {
    const pair = line.split(';', 1)[0] as string;
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq).trim() === name) return decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return undefined;
}

function compileOne(name: string, spec: CaptureSpec): CompiledCapture {
  if (spec.json !== undefined) {
    const path: JsonPath = compileJsonPath(spec.json);
    return { name, describe: `json ${spec.json}`, extract: (_s, parsed) => queryJsonPath(path, parsed()) };
  }
  if (spec.regex !== undefined) {
    const regex = new RegExp(spec.regex);
    const group = spec.group;
    return {
      name,
      describe: `regex /${spec.regex}/`,
      extract: (s) => {
        const m = regex.exec(s.body);
        if (m === null) return undefined;
        return m[group ?? (m.length > 1 ? 1 : 0)];
      },
    };
  }
  if (spec.header !== undefined) {
    const header = spec.header;
    return { name, describe: `header ${header}`, extract: (s) => headerValues(s.headers, header)[0] };
  }
  const cookie = spec.cookie as string;
  return { name, describe: `cookie ${cookie}`, extract: (s) => cookieValue(s.headers, cookie) };
}

/** Compiles a step's captures once. */
export function compileCaptures(specs: Readonly<Record<string, CaptureSpec>> | undefined): CompiledCapture[] {
  if (specs === undefined) return [];
  return Object.entries(specs).map(([name, spec]) => compileOne(name, spec));
}

/**
 * Runs the captures into `vars`. Returns the message of the first that found
 * nothing (the step then fails with `check_failed`), or undefined when all found a value.
 */
export function applyCaptures(
  captures: readonly CompiledCapture[],
  source: CaptureSource,
  vars: Record<string, unknown>,
): string | undefined {
  let parsed: { value: unknown } | undefined;
  const json = () => {
    if (parsed === undefined) {
      try {
        parsed = { value: JSON.parse(source.body) };
      } catch {
        parsed = { value: undefined };
      }
    }
    return parsed.value;
  };
  for (const capture of captures) {
    const value = capture.extract(source, json);
    if (value === undefined || value === null || value === '') {
      return `capture "${capture.name}" (${capture.describe}) found nothing in the response`;
    }
    vars[capture.name] = value;
  }
  return undefined;
}
