/**
 * @module workload/checks
 * Runs a model step's `checks:` (protocols/steps/checks-schema.ts) on one answer: each
 * check passes or fails, and the failures say why (a JSON Schema failure names
 * the JSON path). Compiled once per step; pure per answer. The answer text is
 * the one the model step already holds for its client token count: nothing is
 * kept beyond the request.
 */
import type { ValidateFunction } from 'ajv';
import type { CheckAnswer, CheckFunction, Checks } from '../protocols/steps/checks-schema.js';
import { compileJsonSchema } from '../protocols/steps/checks-schema.js';

export type { CheckAnswer } from '../protocols/steps/checks-schema.js';

/** One answer's verdicts: each check by name, and why the failed ones failed. */
export interface CheckOutcome {
  results: Record<string, boolean>;
  /** `json_schema: $.answer must be string; contains: "Paris" not found`, or undefined when all passed. */
  failure: string | undefined;
}

type Check = (answer: CheckAnswer) => string | undefined;

export interface CompiledChecks {
  readonly names: readonly string[];
  run(answer: CheckAnswer): CheckOutcome;
}

const MAX_REASON = 160;

const list = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

function short(text: string): string {
  return text.length > MAX_REASON ? `${text.slice(0, MAX_REASON)}…` : text;
}

/** The answer as JSON: the text trimmed, without a Markdown code fence around it. */
export function parseAnswerJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  let body = text.trim();
  const fence = /^```[A-Za-z0-9_-]*\s*\n([\s\S]*?)\n?```$/.exec(body);
  if (fence !== null) body = (fence[1] as string).trim();
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (err) {
    return { ok: false, error: `not JSON (${(err as Error).message})` };
  }
}

/** An ajv `instancePath` (`/items/0/name`) as a JSON path (`$.items[0].name`). */
export function jsonPathOf(instancePath: string): string {
  if (instancePath === '') return '$';
  let out = '$';
  for (const raw of instancePath.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) out += `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

function schemaCheck(validate: ValidateFunction): Check {
  return (a) => {
    const parsed = parseAnswerJson(a.text);
    if (!parsed.ok) return parsed.error;
    if (validate(parsed.value)) return undefined;
    const errors = (validate.errors ?? []).slice(0, 3).map((e) => {
      const missing = (e.params as { missingProperty?: string }).missingProperty;
      const path = jsonPathOf(e.instancePath);
      return missing === undefined ? `${path} ${e.message ?? 'is invalid'}` : `${path} ${e.message}`;
    });
    return errors.length === 0 ? 'does not match the schema' : errors.join(', ');
  };
}

function custom(fn: CheckFunction): Check {
  return (a) => {
    try {
      const verdict = fn(a);
      if (verdict === true || verdict === undefined) return undefined;
      return typeof verdict === 'string' ? verdict : 'returned false';
    } catch (err) {
      return `threw: ${(err as Error).message}`;
    }
  };
}

const atMost = (what: string, limit: number, value: number | undefined): string | undefined =>
  value === undefined ? `no ${what} measured` : value > limit ? `${what} ${value} > ${limit}` : undefined;

/** Compiles a step's checks; undefined when it has none. */
export function compileChecks(spec: Checks | undefined): CompiledChecks | undefined {
  if (spec === undefined) return undefined;
  const checks: [string, Check][] = [];
  const add = (name: string, check: Check) => checks.push([name, check]);
  if (spec.contains !== undefined) {
    const texts = list(spec.contains);
    add('contains', (a) => {
      const missing = texts.filter((t) => !a.text.includes(t));
      return missing.length === 0
        ? undefined
        : `${missing.map((t) => JSON.stringify(t)).join(', ')} not found`;
    });
  }
  if (spec.not_contains !== undefined) {
    const texts = list(spec.not_contains);
    add('not_contains', (a) => {
      const found = texts.filter((t) => a.text.includes(t));
      return found.length === 0 ? undefined : `${found.map((t) => JSON.stringify(t)).join(', ')} found`;
    });
  }
  if (spec.regex !== undefined) {
    const patterns = list(spec.regex).map((p) => new RegExp(p));
    add('regex', (a) => {
      const failed = patterns.filter((p) => !p.test(a.text));
      return failed.length === 0 ? undefined : `no match for ${failed.map(String).join(', ')}`;
    });
  }
  if (spec.json === true) {
    add('json', (a) => {
      const parsed = parseAnswerJson(a.text);
      return parsed.ok ? undefined : parsed.error;
    });
  }
  if (spec.json_schema !== undefined) add('json_schema', schemaCheck(compileJsonSchema(spec.json_schema)));
  if (spec.finish_reason !== undefined) {
    const allowed = list(spec.finish_reason);
    add('finish_reason', (a) =>
      a.finishReason !== undefined && allowed.includes(a.finishReason)
        ? undefined
        : `finish_reason ${a.finishReason === undefined ? 'absent' : JSON.stringify(a.finishReason)}${a.finishReason === 'length' ? ' (truncated)' : ''}, expected ${allowed.map((r) => JSON.stringify(r)).join(' or ')}`,
    );
  }
  const min = spec.min_output_tokens;
  if (min !== undefined) {
    add('min_output_tokens', (a) =>
      a.outputTokens === undefined
        ? 'no output tokens counted'
        : a.outputTokens < min
          ? `output tokens ${a.outputTokens} < ${min}`
          : undefined,
    );
  }
  const max = spec.max_output_tokens;
  if (max !== undefined) add('max_output_tokens', (a) => atMost('output tokens', max, a.outputTokens));
  const ttft = spec.max_ttft_ms;
  if (ttft !== undefined) add('max_ttft_ms', (a) => atMost('ttft_ms', ttft, a.ttftMs));
  const e2e = spec.max_e2e_ms;
  if (e2e !== undefined) add('max_e2e_ms', (a) => atMost('e2e_ms', e2e, a.e2eMs));
  const tpot = spec.max_tpot_ms;
  if (tpot !== undefined) add('max_tpot_ms', (a) => atMost('tpot_ms', tpot, a.tpotMs));
  for (const [name, fn] of Object.entries(spec.custom ?? {})) add(name, custom(fn));
  if (checks.length === 0) return undefined;
  return {
    names: checks.map(([name]) => name),
    run(answer) {
      const results: Record<string, boolean> = {};
      const reasons: string[] = [];
      for (const [name, check] of checks) {
        const reason = check(answer);
        results[name] = reason === undefined;
        if (reason !== undefined) reasons.push(`${name}: ${short(reason)}`);
      }
      return { results, failure: reasons.length === 0 ? undefined : reasons.join('; ') };
    },
  };
}
