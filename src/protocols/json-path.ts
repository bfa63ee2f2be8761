/**
 * @module protocols/json-path
 * The JSONPath subset captures use: `$.a.b`, `$['a-b']`, `$.items[0]`,
 * `$.items[-1]`, `$.items[*].id` and `$..token` (first match, document
 * order). Written here rather than taken from a library because the full
 * language evaluates filter scripts (`?(@…)`), which is code execution a test
 * file should not be able to trigger; this subset needs no evaluator.
 */

type Segment =
  | { type: 'key'; key: string }
  | { type: 'index'; index: number }
  | { type: 'wildcard' }
  | { type: 'descend'; key: string };

/** A parsed path. */
export interface JsonPath {
  readonly source: string;
  readonly segments: readonly Segment[];
}

const SEGMENT_PATTERNS: [RegExp, (m: RegExpExecArray) => Segment][] = [
  [/^\.\.([A-Za-z_$][\w$-]*)/, (m) => ({ type: 'descend', key: m[1] as string })],
  [/^(?:\.\*|\[\*\])/, () => ({ type: 'wildcard' })],
  [/^\.([A-Za-z_$][\w$-]*)/, (m) => ({ type: 'key', key: m[1] as string })],
  [/^\[(-?\d+)\]/, (m) => ({ type: 'index', index: Number(m[1]) })],
  [/^\[(?:'([^']*)'|"([^"]*)")\]/, (m) => ({ type: 'key', key: m[1] ?? m[2] ?? '' })],
];

function nextSegment(rest: string): { segment: Segment; length: number } | undefined {
  for (const [pattern, make] of SEGMENT_PATTERNS) {
    const m = pattern.exec(rest);
    if (m !== null) return { segment: make(m), length: m[0].length };
  }
  return undefined;
}

/** Parses a path once. @throws Error saying which part is not in the supported subset. */
export function compileJsonPath(source: string): JsonPath {
  const text = source.trim();
  if (!text.startsWith('$')) throw new Error(`JSONPath "${source}" must start with "$"`);
  const segments: Segment[] = [];
  let rest = text.slice(1);
  while (rest !== '') {
    const step = nextSegment(rest);
    if (step === undefined) {
      throw new Error(
        `JSONPath "${source}": unsupported at "${rest}" (supported: .key, ['key'], [n], [*], ..key)`,
      );
    }
    segments.push(step.segment);
    rest = rest.slice(step.length);
  }
  return { source, segments };
}

function* matches(value: unknown, segments: readonly Segment[], at: number): Generator<unknown> {
  if (at === segments.length) {
    yield value;
    return;
  }
  const seg = segments[at] as Segment;
  if (value === null || typeof value !== 'object') return;
  switch (seg.type) {
    case 'key':
      if (!Array.isArray(value) && Object.hasOwn(value, seg.key)) {
        yield* matches((value as Record<string, unknown>)[seg.key], segments, at + 1);
      }
      return;
    case 'index':
      if (Array.isArray(value)) {
        const i = seg.index < 0 ? value.length + seg.index : seg.index;
        if (i >= 0 && i < value.length) yield* matches(value[i], segments, at + 1);
      }
      return;
    case 'wildcard':
      for (const child of Object.values(value)) yield* matches(child, segments, at + 1);
      return;
    case 'descend': {
      // Depth-first, document order: the node itself, then its children.
      const stack: unknown[] = [value];
      while (stack.length > 0) {
        const node = stack.pop();
        if (node === null || typeof node !== 'object') continue;
        if (!Array.isArray(node) && Object.hasOwn(node, seg.key)) {
          yield* matches((node as Record<string, unknown>)[seg.key], segments, at + 1);
        }
        const children = Object.values(node);
        for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
      }
    }
  }
}

/** The first value the path selects, or undefined when it selects nothing. */
export function queryJsonPath(path: JsonPath, document: unknown): unknown {
  for (const value of matches(document, path.segments, 0)) {
    if (value !== undefined) return value;
  }
  return undefined;
}
