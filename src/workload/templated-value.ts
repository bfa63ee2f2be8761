/**
 * @module workload/templated-value
 * A request field tree (a step's body, headers, messages) with templates in
 * its strings, compiled once; rendering rebuilds only the parts that vary.
 */
import {
  compileTemplate,
  hasTemplate,
  renderTemplate,
  renderValue,
  type TemplateRead,
  type TemplateScope,
  templateReads,
} from './template.js';

/** A value with its templates compiled: `render` returns the value with every template filled in. */
export interface TemplatedValue {
  /** False when no string holds a template: `render` returns the original value. */
  readonly dynamic: boolean;
  render(scope: TemplateScope): unknown;
}

/** A problem found while compiling, with the path of the string inside the value. */
export interface TemplateIssue {
  path: (string | number)[];
  message: string;
}

type Renderer = (scope: TemplateScope) => unknown;

/**
 * Inside a JSON `body`, `"{{ row.n }}"` keeps the value's type (a number stays
 * a number); everywhere else (messages, URLs, headers) a template yields a string.
 */
function compileNode(
  value: unknown,
  path: (string | number)[],
  issues: TemplateIssue[],
): Renderer | undefined {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return undefined;
    try {
      const template = compileTemplate(value);
      if (path.includes('body')) return (scope) => renderValue(template, scope);
      return (scope) => renderTemplate(template, scope);
    } catch (err) {
      issues.push({ path, message: (err as Error).message });
      return undefined;
    }
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => compileNode(item, [...path, i], issues));
    if (items.every((r) => r === undefined)) return undefined;
    return (scope) => value.map((item, i) => (items[i] === undefined ? item : (items[i] as Renderer)(scope)));
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const renderers = entries.map(([k, v]) => compileNode(v, [...path, k], issues));
    if (renderers.every((r) => r === undefined)) return undefined;
    return (scope) =>
      Object.fromEntries(
        entries.map(([k, v], i) => [k, renderers[i] === undefined ? v : (renderers[i] as Renderer)(scope)]),
      );
  }
  return undefined;
}

/** Compiles every template inside `value`. @throws Error naming the first bad template. */
export function compileValue(value: unknown): TemplatedValue {
  const issues: TemplateIssue[] = [];
  const render = compileNode(value, [], issues);
  if (issues.length > 0) throw new Error((issues[0] as TemplateIssue).message);
  if (render === undefined) return { dynamic: false, render: () => value };
  return { dynamic: true, render };
}

/** Every template problem inside `value`, with paths (for schema validation). */
export function findTemplateIssues(value: unknown): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  compileNode(value, [], issues);
  return issues;
}

/** Every variable read by the templates inside `value`, with the path of its string; bad templates are skipped. */
export function findTemplateReads(
  value: unknown,
  path: (string | number)[] = [],
): (TemplateRead & { path: (string | number)[] })[] {
  if (typeof value === 'string') {
    if (!hasTemplate(value)) return [];
    try {
      return templateReads(compileTemplate(value)).map((read) => ({ ...read, path }));
    } catch {
      return [];
    }
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findTemplateReads(item, [...path, i]));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) =>
      findTemplateReads(v, [...path, k]),
    );
  }
  return [];
}
