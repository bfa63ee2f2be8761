/**
 * @module cli/test-plan
 * The plan of a validated test, told without running it (`tokenstorm
 * validate`, k6's `inspect`): the load (load/describe), the scenarios with
 * their shares and step kinds, the feeders with their row counts, the
 * thresholds and the metrics they read, and the target. Reads data files;
 * sends nothing and starts nothing.
 */
import { relative } from 'node:path';
import { parseThresholdMetric } from '../analysis/index.js';
import type { Test } from '../config/index.js';
import { describeLoad, type LoadDescription } from '../load/index.js';
import { nominalMean } from '../random/index.js';
import { redactText } from '../store/index.js';
import { formatOf, type RowFormat, readRows } from '../workload/row-reader.js';

export interface ScenarioPlan {
  name: string;
  weight: number;
  /** Share of iterations, 0..1. */
  share: number;
  form: 'steps' | 'session' | 'flow';
  /** Each step's kind (`chat`, `http`, …); a session's turns are `chat`. */
  steps: string[];
  /** Requests one iteration sends (before retries); undefined for a flow. */
  requests_per_iteration: number | undefined;
  /** True when `requests_per_iteration` is a mean (a session's turns drawn from a distribution). */
  requests_mean: boolean;
  feeder?: { file: string; rows: number; strategy: string } | undefined;
}

export interface TestPlan {
  name: string;
  target: string;
  load: LoadDescription;
  scenarios: ScenarioPlan[];
  /** Requests the run is expected to send (before retries), or undefined when a flow decides. */
  requests: { count: number; kind: LoadDescription['iterations_kind'] | 'about' } | undefined;
  thresholds: { key: string; metric: string; selector?: string | undefined; expressions: string[] }[];
  slo?: Record<string, number> | undefined;
}

/** Rows of a feeder file and, when a session reads whole conversations from `column`, their mean length. */
async function countRows(
  file: string,
  format: RowFormat,
  delimiter: string,
  column: string | undefined,
): Promise<{ rows: number; meanTurns: number }> {
  let rows = 0;
  let turns = 0;
  for await (const { row } of readRows(file, format, { delimiter, relaxColumnCount: true })) {
    rows++;
    const list = column === undefined ? undefined : row[column];
    if (Array.isArray(list)) turns += list.length;
  }
  return { rows, meanTurns: rows === 0 ? 0 : turns / rows };
}

type ScenarioOf = Test['scenarios'][number];

/** A file as messages name it: relative to `baseDir` when inside it. */
function shown(baseDir: string, file: string): string {
  const rel = relative(baseDir, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

function scenarioShape(
  s: ScenarioOf,
): Pick<ScenarioPlan, 'form' | 'steps' | 'requests_per_iteration' | 'requests_mean'> {
  if (s.steps !== undefined) {
    const kinds = s.steps.map((step) => Object.keys(step)[0] ?? '?');
    return { form: 'steps', steps: kinds, requests_per_iteration: kinds.length, requests_mean: false };
  }
  if (s.session !== undefined) {
    const turns = s.session.turns;
    if (turns === undefined || s.session.user_messages_from !== undefined) {
      // Each feeder row is a conversation: filled in from the rows (planOf).
      return { form: 'session', steps: ['chat'], requests_per_iteration: undefined, requests_mean: true };
    }
    const fixed = typeof turns === 'number';
    return {
      form: 'session',
      steps: ['chat'],
      requests_per_iteration: fixed ? turns : nominalMean(turns),
      requests_mean: !fixed,
    };
  }
  return { form: 'flow', steps: [], requests_per_iteration: undefined, requests_mean: false };
}

/** The plan of `test`; `baseDir` shortens file names in it. Reads feeder files to count their rows. */
export async function planOf(test: Test, baseDir = process.cwd()): Promise<TestPlan> {
  const load = describeLoad(test.load, test.seed);
  const total = test.scenarios.reduce((sum, s) => sum + s.weight, 0);
  const scenarios: ScenarioPlan[] = [];
  for (const s of test.scenarios) {
    const from = s.session?.user_messages_from;
    const counted =
      s.feeder === undefined
        ? undefined
        : await countRows(
            s.feeder.file,
            s.feeder.format ?? formatOf(s.feeder.file) ?? 'jsonl',
            s.feeder.delimiter,
            from,
          );
    const feeder =
      s.feeder === undefined || counted === undefined
        ? undefined
        : {
            file: shown(baseDir, s.feeder.file),
            rows: counted.rows,
            strategy: s.feeder.strategy,
          };
    const shape = scenarioShape(s);
    if (from !== undefined && counted !== undefined) {
      const cap = s.session?.turns;
      shape.requests_per_iteration =
        typeof cap === 'number' ? Math.min(cap, counted.meanTurns) : counted.meanTurns;
    }
    scenarios.push({
      name: s.name,
      weight: s.weight,
      share: total > 0 ? s.weight / total : 0,
      ...shape,
      feeder,
    });
  }
  const perIteration = scenarios.map((s) => s.requests_per_iteration);
  let requests: TestPlan['requests'];
  if (!perIteration.includes(undefined)) {
    const counts = perIteration as number[];
    const same = counts.every((c) => c === counts[0]) && !scenarios.some((s) => s.requests_mean);
    const mean = scenarios.reduce((sum, s, i) => sum + s.share * (counts[i] as number), 0);
    requests = {
      count: Math.round(load.iterations * mean),
      kind: same ? load.iterations_kind : 'about',
    };
  }
  const thresholds = Object.entries(test.thresholds).map(([key, entries]) => {
    const metric = parseThresholdMetric(key);
    const selector =
      metric.scenario !== undefined
        ? `scenario ${metric.scenario}`
        : metric.step !== undefined
          ? `step ${metric.step}`
          : undefined;
    return {
      key,
      metric: metric.name,
      selector,
      expressions: entries.map((e) =>
        typeof e === 'string' ? e : `${e.threshold}${e.blocking ? '' : ' (not blocking)'}`,
      ),
    };
  });
  return {
    name: test.name,
    target: test.target === 'mock' ? 'mock' : redactText(test.target),
    load,
    scenarios,
    requests,
    thresholds,
    slo: test.slo as Record<string, number> | undefined,
  };
}

const KIND_WORDS: Record<LoadDescription['iterations_kind'] | 'about', string> = {
  exact: 'exactly',
  up_to: 'up to',
  at_least: 'at least',
  about: 'about',
};

function fmt(n: number): string {
  return Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);
}

/** The plan as the console shows it. */
export function renderPlan(plan: TestPlan, file: string): string {
  const lines: string[] = [];
  lines.push(`${file}: valid (nothing was sent)`, '');
  lines.push(`test     ${plan.name}`);
  lines.push(
    `target   ${plan.target === 'mock' ? 'the embedded mock server (run starts it; validate does not)' : plan.target}`,
  );
  const l = plan.load;
  lines.push('', `load     ${l.executor} (${l.model} model), at most ${fmt(l.max_concurrency)} in flight`);
  if (l.duration_s !== undefined)
    lines.push(`  duration    ${l.duration_kind === 'up_to' ? 'up to ' : ''}${fmt(l.duration_s)} s`);
  lines.push(`  iterations  ${KIND_WORDS[l.iterations_kind]} ${fmt(l.iterations)}`);
  if (plan.requests !== undefined)
    lines.push(
      `  requests    ${KIND_WORDS[plan.requests.kind]} ${fmt(plan.requests.count)} (before retries)`,
    );
  else lines.push('  requests    decided by the TypeScript flow');
  if (l.note !== undefined) lines.push(`  note        ${l.note}`);
  if (l.stages.length > 0) {
    lines.push('  stages');
    for (const s of l.stages) {
      const target =
        s.target === undefined ? '' : `  target ${fmt(s.target)}${l.model === 'open' ? '/s' : ' VUs'}`;
      lines.push(`    ${s.name.padEnd(12)} ${fmt(s.start_s)}-${fmt(s.end_s)} s${target}`);
    }
  }
  lines.push('', 'scenarios');
  for (const s of plan.scenarios) {
    const what =
      s.form === 'flow'
        ? 'TypeScript flow'
        : s.form === 'session'
          ? `session of ${s.requests_mean ? 'about ' : ''}${fmt(s.requests_per_iteration ?? 0)} chat turns`
          : `steps: ${s.steps.join(', ')}`;
    lines.push(`  ${s.name}  weight ${fmt(s.weight)} (${(s.share * 100).toFixed(0)}%)  ${what}`);
    if (s.feeder !== undefined)
      lines.push(`    feeder ${s.feeder.file}: ${fmt(s.feeder.rows)} rows, ${s.feeder.strategy}`);
  }
  if (plan.slo !== undefined) {
    lines.push(
      '',
      `slo      ${Object.entries(plan.slo)
        .map(([k, v]) => `${k} ≤ ${v}`)
        .join(', ')}`,
    );
  }
  lines.push('', plan.thresholds.length === 0 ? 'thresholds  none' : 'thresholds');
  for (const t of plan.thresholds) {
    const on = t.selector === undefined ? '' : ` (${t.selector})`;
    lines.push(`  ${t.metric}${on}: ${t.expressions.join('; ')}`);
  }
  return `${lines.join('\n')}\n`;
}
