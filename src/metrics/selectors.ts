/**
 * @module metrics/selectors
 * Record selectors of thresholds (`ttft_ms{stage:peak,model:gpt-4o-mini}`):
 * parsed from a thresholds key's `{…}`, matched against each record, so the
 * aggregator keeps one tally per selector a test names (as k6 keeps a
 * sub-metric per threshold) and a rebuild from records.jsonl gives the same
 * figures. What a record does not carry (its step's configured model and tags)
 * is looked up by scenario and step name.
 */
import type { RequestRecord } from '../core/index.js';

/** Selector tags: `scenario` and `step` alone are served by the scenario/step tallies; `check` picks a check. */
export const SELECTOR_TAGS = ['scenario', 'step', 'stage', 'turn', 'model', 'tag', 'check'] as const;
export type SelectorTag = (typeof SELECTOR_TAGS)[number];

/** A parsed selector: each tag at most once. */
export type Selector = Partial<Record<SelectorTag, string>>;

/** What a record's step is configured with (a TypeScript flow's steps are not known ahead). */
export interface StepLabels {
  model?: string | undefined;
  tags?: readonly string[] | undefined;
}

/** The labels of a scenario's step by its name, when the test declares them. */
export type StepLabelLookup = (scenario: string, stepName: string) => StepLabels | undefined;

/**
 * The model a record is grouped by: the response's `model` once records carry it (issue 27
 * item 5), else the step's configured model. The one place that decides it.
 */
export function modelOf(r: RequestRecord, labels: StepLabelLookup | undefined): string | undefined {
  const responded = (r as { model?: unknown }).model;
  return typeof responded === 'string' ? responded : labels?.(r.scenario, r.stepName)?.model;
}

/**
 * Parses the inside of a `{…}` selector: comma-separated `tag:value`, values optionally quoted.
 * @throws Error naming what was expected.
 */
export function parseSelector(text: string, key: string): Selector {
  const out: Selector = {};
  for (const part of text.split(',')) {
    const colon = part.indexOf(':');
    const tag = part.slice(0, colon).trim();
    if (colon === -1 || !(SELECTOR_TAGS as readonly string[]).includes(tag)) {
      throw new Error(
        `unsupported selector "${part.trim()}" in "${key}" (expected ${SELECTOR_TAGS.map((t) => `${t}:NAME`).join(', ')}, comma-separated)`,
      );
    }
    const value = part
      .slice(colon + 1)
      .trim()
      .replace(/^(["'])(.*)\1$/, '$2');
    if (value === '') throw new Error(`empty ${tag} name in "${key}"`);
    if (out[tag as SelectorTag] !== undefined) throw new Error(`${tag} given twice in "${key}"`);
    if (tag === 'turn' && !/^[1-9]\d*$/.test(value)) {
      throw new Error(`turn "${value}" in "${key}" is not a turn number (1, 2, …)`);
    }
    out[tag as SelectorTag] = value;
  }
  return out;
}

/** Whether a selector needs a tally of its own (anything beyond one scenario or one step; `check` picks within). */
export function needsOwnTally(s: Selector): boolean {
  return (
    s.stage !== undefined ||
    s.turn !== undefined ||
    s.model !== undefined ||
    s.tag !== undefined ||
    (s.scenario !== undefined && s.step !== undefined)
  );
}

/** The record-selecting part of a selector in a canonical order (`check` left out): the key of its tally. */
export function selectorKey(s: Selector): string {
  const parts: string[] = [];
  for (const tag of SELECTOR_TAGS) {
    const value = s[tag];
    if (tag !== 'check' && value !== undefined) parts.push(`${tag}:${value}`);
  }
  return parts.join(',');
}

/** A stage as a record sees it: its name and index among the run's stages. */
export interface StageRef {
  name: string;
  index: number;
}

/** Whether `r` (in `stage`, by its scheduled time) is selected. A stage is named or given by its index. */
export function matches(
  s: Selector,
  r: RequestRecord,
  stage: StageRef | undefined,
  labels: StepLabelLookup | undefined,
): boolean {
  if (s.scenario !== undefined && r.scenario !== s.scenario) return false;
  if (s.step !== undefined && r.stepName !== s.step && `${r.kind}:${r.step}` !== s.step) return false;
  if (s.turn !== undefined && String(r.turn) !== s.turn) return false;
  if (
    s.stage !== undefined &&
    (stage === undefined || (stage.name !== s.stage && String(stage.index) !== s.stage))
  )
    return false;
  if (s.model !== undefined && modelOf(r, labels) !== s.model) return false;
  if (s.tag !== undefined && !(labels?.(r.scenario, r.stepName)?.tags ?? []).includes(s.tag)) return false;
  return true;
}

/** The selectors of a thresholds map that need a tally of their own, by key (deduplicated). */
export function ownTallySelectors(thresholdKeys: Iterable<string>): Map<string, Selector> {
  const out = new Map<string, Selector>();
  for (const key of thresholdKeys) {
    const m = /\{([^}]*)\}\s*$/.exec(key);
    if (m === null) continue;
    let s: Selector;
    try {
      s = parseSelector(m[1] as string, key);
    } catch {
      continue; // an invalid key is reported by the threshold's own evaluation
    }
    if (needsOwnTally(s)) out.set(selectorKey(s), s);
  }
  return out;
}
