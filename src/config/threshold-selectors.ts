/**
 * @module config/threshold-selectors
 * Checks, when a test is loaded, that every threshold selector names a
 * scenario, stage (by name or index from 0), step, step tag or check the test has (`e2e_ms{scenario:chta}` is a typo the
 * run would only report afterwards as "no data"). Each issue names the
 * threshold and the names that exist.
 */
import type { z } from 'zod';
import { stagedSchedule } from '../load/staged.js';
import type { StepLabelLookup, StepLabels } from '../metrics/index.js';
import { stepKindOf } from '../protocols/index.js';

/** A step: `{ <kind>: body }`, of a kind in protocols/steps. */
type StepLike = Readonly<Record<string, { name?: string | undefined } | undefined>>;

interface ScenarioLike {
  name: string;
  steps?: readonly unknown[] | undefined;
  session?: { chat?: { name?: string | undefined } } | undefined;
  flow?: unknown;
}

interface TestLike {
  scenarios: readonly ScenarioLike[];
  load: { executor: string; stages?: unknown; shape?: unknown; duration?: number | undefined };
  thresholds: Readonly<Record<string, unknown>>;
}

/** The `tag:value` pairs of a thresholds key's `{…}` selector (comma-separated), values unquoted. */
export function selectorTags(key: string): { tag: string; value: string }[] {
  const m = /\{([^}]*)\}\s*$/.exec(key);
  if (m === null) return [];
  const out: { tag: string; value: string }[] = [];
  for (const part of (m[1] as string).split(',')) {
    const colon = part.indexOf(':');
    if (colon === -1) continue;
    const value = part
      .slice(colon + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2');
    out.push({ tag: part.slice(0, colon).trim(), value });
  }
  return out;
}

/**
 * The names a step answers to: its `stepName` as records carry it (`name`, else its kind's
 * `defaultName`, as `workload/prepared-step.ts` derives it) and `<kind>:<index>`.
 */
function stepNames(step: StepLike, index: number): string[] {
  const entry = stepKindOf(step);
  if (entry === undefined) return [];
  const body = step[entry.name] ?? {};
  return [body.name ?? entry.defaultName(body), `${entry.name}:${index}`];
}

/** A scenario's step names; undefined when they are not known ahead (a TypeScript flow). */
function scenarioStepNames(s: ScenarioLike): { names: string[]; matches?: RegExp } | undefined {
  if (s.flow !== undefined) return undefined;
  if (s.session !== undefined) {
    // A session's turns are its steps: every turn has the chat's name, index = turn − 1.
    return { names: [s.session.chat?.name ?? 'chat'], matches: /^chat:\d+$/ };
  }
  return { names: (s.steps ?? []).flatMap((step, i) => stepNames(step as StepLike, i)) };
}

/** Stage names known before the run; undefined when they are not (a sweep's stages follow its measurements). */
function stageNames(load: TestLike['load']): string[] | undefined {
  if (load.executor === 'sweep') return undefined;
  if (load.stages === undefined && load.shape === undefined) return [];
  return stagedSchedule(load as Parameters<typeof stagedSchedule>[0], 0).stages.map((s) => s.name);
}

function list(names: readonly string[], what: string): string {
  return names.length === 0
    ? `this test has no ${what}`
    : `expected one of: ${names.map((n) => `"${n}"`).join(', ')}`;
}

/**
 * Each declared step's configured model and tags by scenario and step name (as records name it:
 * its `name:`, else `<kind>:<index>`; a session's chat `name:`, else `chat`), for the `{model:…}`
 * and `{tag:…}` selectors. Works on a parsed test or run.json's copy of it.
 */
export function stepLabelsOf(test: { scenarios?: readonly unknown[] } | undefined): StepLabelLookup {
  const labels = new Map<string, StepLabels>();
  const add = (scenario: string, name: string, body: { model?: unknown; tags?: unknown }) => {
    const model = typeof body.model === 'string' ? body.model : undefined;
    const tags = Array.isArray(body.tags)
      ? body.tags.filter((t): t is string => typeof t === 'string')
      : undefined;
    if (model !== undefined || tags !== undefined) labels.set(`${scenario}\u0000${name}`, { model, tags });
  };
  for (const raw of test?.scenarios ?? []) {
    const s = raw as ScenarioLike & {
      session?: { chat?: { name?: string; model?: unknown; tags?: unknown } };
    };
    if (s.session?.chat !== undefined) add(s.name, s.session.chat.name ?? 'chat', s.session.chat);
    (s.steps ?? []).forEach((step, i) => {
      const entry = stepKindOf(step as StepLike);
      if (entry === undefined) return;
      const body = ((step as StepLike)[entry.name] ?? {}) as {
        name?: string;
        model?: unknown;
        tags?: unknown;
      };
      add(s.name, body.name ?? `${entry.name}:${i}`, body);
    });
  }
  return (scenario, step) => labels.get(`${scenario}\u0000${step}`);
}

/**
 * The step tags or check names the scenarios declare (a check by its key, a function by its name
 * under `custom`); undefined when a scenario's steps are not known ahead (a TypeScript flow).
 */
function declaredLabels(scenarios: readonly ScenarioLike[], what: 'tag' | 'check'): string[] | undefined {
  if (scenarios.some((s) => s.flow !== undefined)) return undefined;
  const out = new Set<string>();
  const read = (body: { tags?: unknown; checks?: unknown } | undefined) => {
    if (body === undefined) return;
    if (what === 'tag' && Array.isArray(body.tags)) for (const t of body.tags) out.add(String(t));
    if (what === 'check' && typeof body.checks === 'object' && body.checks !== null) {
      for (const [name, v] of Object.entries(body.checks)) {
        if (name !== 'custom') out.add(name);
        else if (typeof v === 'object' && v !== null) for (const f of Object.keys(v)) out.add(f);
      }
    }
  };
  for (const s of scenarios) {
    read((s.session as { chat?: { tags?: unknown; checks?: unknown } } | undefined)?.chat);
    for (const step of s.steps ?? []) {
      const entry = stepKindOf(step as StepLike);
      if (entry !== undefined) read((step as StepLike)[entry.name] as { tags?: unknown; checks?: unknown });
    }
  }
  return [...out];
}

/** Adds an issue at `thresholds.<key>` for every selector naming something the test does not have. */
export function checkThresholdSelectors(test: TestLike, ctx: z.RefinementCtx): void {
  for (const key of Object.keys(test.thresholds)) {
    const tags = selectorTags(key);
    const scenarioTag = tags.find((t) => t.tag === 'scenario');
    const scenarios = test.scenarios.map((s) => s.name);
    const issue = (message: string) =>
      ctx.addIssue({ code: 'custom', path: ['thresholds', key], input: key, message });
    if (scenarioTag !== undefined && !scenarios.includes(scenarioTag.value)) {
      issue(
        `threshold "${key}" names scenario "${scenarioTag.value}", which does not exist (${list(scenarios, 'scenarios')})`,
      );
      continue;
    }
    for (const { tag, value } of tags) {
      if (tag === 'stage') {
        const names = stageNames(test.load);
        const index = /^\d+$/.test(value) ? Number(value) : -1;
        if (names !== undefined && !names.includes(value) && !(index >= 0 && index < names.length)) {
          issue(`threshold "${key}" names stage "${value}", which does not exist (${list(names, 'stages')})`);
        }
      } else if (tag === 'tag' || tag === 'check') {
        const inScope = test.scenarios.filter(
          (s) => scenarioTag === undefined || s.name === scenarioTag.value,
        );
        const declared = declaredLabels(inScope, tag);
        if (declared === undefined || declared.includes(value)) continue;
        const what = tag === 'tag' ? 'tag' : 'check';
        const where = scenarioTag === undefined ? '' : ` in scenario "${scenarioTag.value}"`;
        issue(
          `threshold "${key}" names ${what} "${value}"${where}, which no step has (${list(declared, `${what}s`)})`,
        );
      } else if (tag === 'step') {
        const inScope = test.scenarios.filter(
          (s) => scenarioTag === undefined || s.name === scenarioTag.value,
        );
        const known = inScope.map(scenarioStepNames);
        if (known.some((k) => k === undefined)) continue;
        const steps = known as { names: string[]; matches?: RegExp }[];
        if (steps.some((k) => k.names.includes(value) || k.matches?.test(value) === true)) continue;
        const names = [...new Set(steps.flatMap((k) => k.names))];
        const where = scenarioTag === undefined ? '' : ` in scenario "${scenarioTag.value}"`;
        issue(
          `threshold "${key}" names step "${value}"${where}, which does not exist (${list(names, 'steps')})`,
        );
      }
    }
  }
}
