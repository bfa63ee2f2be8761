/**
 * @module cli/run-outputs
 * From a run's aggregates to its files: the one path shared by `run` and
 * `report`, so a rebuild gives the same summary as the live run.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  analyseQuality,
  analyseSweepStages,
  anomalyConcordance,
  assessGenerator,
  type CostBudgetStatus,
  capacityPlan,
  costSummary,
  createThresholdSource,
  DEFAULT_GENERATOR_LIMITS,
  detectAnomalies,
  evaluateThresholds,
  type GeneratorHealth,
  type PlanSpec,
  type QualityScores,
  type QualityScoring,
  type QualitySummary,
  type Recovery,
  recoveryOf,
  type Thresholds,
} from '../analysis/index.js';
import { stepLabelsOf } from '../config/index.js';
import type { RequestRecord } from '../core/index.js';
import {
  distributionsOf,
  type ModelPrice,
  ownTallySelectors,
  priceTableOf,
  RunAggregator,
  type Slo,
  type StageSummary,
  slosOf,
} from '../metrics/index.js';
import {
  buildSummary,
  renderHtmlReport,
  renderJunit,
  renderMarkdown,
  type Summary,
} from '../report/index.js';
import {
  RUN_FILES,
  type RunEvent,
  type RunEventMark,
  type RunInfo,
  type RunTelemetrySeries,
  readJsonl,
  readRunInfo,
  redactStrings,
} from '../store/index.js';

/** A timeline event in the summary: seconds from the start, and how the system came through it. */
export type EventSummary = Omit<RunEventMark, 'index' | 'failover'> & { recovery: Recovery };

/** The summary of a run and, when the run recorded them, the generator's health, events and telemetry. */
export type RunSummary = Summary & {
  generator?: GeneratorHealth;
  events?: EventSummary[];
  telemetry?: RunTelemetrySeries[];
};

/** Each timeline event with its recovery figures (`events[i].recovery`, docs/timeline.md). */
function eventsOf(info: RunInfo, summary: Summary): EventSummary[] {
  const options = {
    maxErrorRate: info.recovery?.max_error_rate ?? 0.01,
    band: info.recovery?.band ?? 1.5,
  };
  const points = (name: string) => info.telemetry?.find((t) => t.name === name)?.points ?? [];
  return (info.events ?? []).map(({ index: _index, failover, ...mark }) => {
    const counters =
      failover === undefined
        ? undefined
        : {
            from: points(`${failover.from} ${failover.metric}`),
            to: points(`${failover.to} ${failover.metric}`),
          };
    return {
      ...mark,
      recovery: recoveryOf({ at: mark.at, for_s: mark.for_s, failover: counters }, summary.windows, options),
    };
  });
}

/** What run.json keeps of the test that the summary reads. */
interface TestPart {
  load?: { executor?: string; mode?: string; attainment?: number };
  slo?: Slo;
  pricing?: Record<string, ModelPrice>;
  budget?: Omit<CostBudgetStatus, 'stopped'>;
  plan?: PlanSpec;
}

/** The test's load, SLOs and cost sections as run.json keeps them. */
function testOf(info: RunInfo): TestPart {
  return (info.test ?? {}) as TestPart;
}

/** The test's budget, and why the run stopped at it when it did (an abort whose reason is the budget's). */
function budgetOf(info: RunInfo): CostBudgetStatus | undefined {
  const budget = testOf(info).budget;
  if (budget === undefined) return undefined;
  const out: CostBudgetStatus = { ...budget };
  if (info.aborted?.startsWith('budget:')) out.stopped = info.aborted;
  return out;
}

/** A sweep's verdicts, from its measured stages. */
function sweepOf(info: RunInfo, stages: StageSummary[] | undefined) {
  const { load, slo } = testOf(info);
  if (load?.executor !== 'sweep' || stages === undefined) return undefined;
  return analyseSweepStages(stages, {
    slos: slosOf(slo),
    attainment: load.attainment,
    unit: load.mode === 'vus' ? 'VUs' : 'req/s',
  });
}

/**
 * How a run that did not end as planned ended, or undefined for a complete
 * one. No final marker (`ended`) means it was killed; run directories written
 * before the marker existed count as complete when they have a duration.
 */
export function incompleteReason(info: RunInfo, durationS: number): string | undefined {
  const planned = info.plannedS === undefined ? '' : ` of ${info.plannedS} s`;
  const after = `after ${Math.round(durationS * 10) / 10} s${planned}`;
  if (info.ended !== undefined)
    return info.ended.complete ? undefined : (info.ended.reason ?? `stopped ${after}`);
  if (info.durationS === undefined) return `killed ${after} (no final marker in run.json)`;
  return info.aborted === undefined ? undefined : `interrupted by ${info.aborted} ${after}`;
}

/**
 * The summary of a run from its info and aggregates, every string redacted
 * (store/redact): summary.json, the report, JUnit, Markdown and the console
 * are all made from it. An incomplete run never reads as passed.
 */
export function summarize(
  info: RunInfo,
  aggregator: RunAggregator,
  durationS: number,
  scores?: QualityScoresFile,
): RunSummary {
  const { schema, name, passed, ...measured } = summaryOf(info, aggregator, durationS, scores);
  const incomplete = incompleteReason(info, durationS);
  // Next to `passed` in summary.json, which an incomplete run never is.
  const aborted = info.abortedByThreshold === undefined ? {} : { aborted: info.abortedByThreshold };
  return redactStrings(
    incomplete === undefined
      ? { schema, name, passed, complete: true, ...measured }
      : { schema, name, passed: false, complete: false, incomplete, ...aborted, ...measured },
  );
}

/** `quality-scores.json`: scores given after the run, by record id, and how the scoring went. */
export interface QualityScoresFile {
  cosine?: [number, number][];
  judge?: [number, number][];
  scoring?: QualityScoring;
}

/** Reads a run directory's `quality-scores.json`, when it has one. */
export function readQualityScores(dir: string): QualityScoresFile | undefined {
  const file = join(dir, RUN_FILES.qualityScores);
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as QualityScoresFile;
}

/** The quality section, when the run has quality samples or the test a `quality:` block. */
function qualityOf(
  info: RunInfo,
  aggregator: RunAggregator,
  file: QualityScoresFile | undefined,
): QualitySummary | undefined {
  const options = (info.test as { quality?: Record<string, unknown> } | undefined)?.quality;
  const rows = aggregator.qualityRows();
  if (rows.length === 0 && options === undefined) return undefined;
  const scores: QualityScores = {};
  if (file?.cosine !== undefined) scores.cosine = new Map(file.cosine);
  if (file?.judge !== undefined) scores.judge = new Map(file.judge);
  const judge = options?.judge as { scale?: number } | undefined;
  const quality = analyseQuality(
    rows,
    info.stages ?? [],
    aggregator.windowMs,
    {
      measure: options?.measure as QualitySummary['measure'] | undefined,
      drop: options?.drop as number | undefined,
      min_samples: options?.min_samples as number | undefined,
      judge_scale: judge?.scale,
    },
    scores,
  );
  if (file?.scoring !== undefined) quality.scoring = file.scoring;
  return quality;
}

function summaryOf(
  info: RunInfo,
  aggregator: RunAggregator,
  durationS: number,
  scores?: QualityScoresFile,
): RunSummary {
  const core = aggregator.snapshot({
    name: info.name,
    startedAt: info.startedAt,
    durationS,
    scenarios: info.scenarios,
  });
  const quality = qualityOf(info, aggregator, scores);
  const results = evaluateThresholds(
    info.thresholds as Thresholds,
    createThresholdSource(aggregator, core, quality),
  );
  const sweep = sweepOf(info, core.stages);
  const cost = costSummary({
    core,
    prices: priceTableOf(testOf(info).pricing),
    budget: budgetOf(info),
    sumOf: (scenario) => aggregator.histogram('cost_usd', scenario)?.sum,
  });
  const planSpec = testOf(info).plan;
  const summary = buildSummary(info.name, core, results, {
    distributions: distributionsOf((metric) => aggregator.histogram(metric)),
    slowest: aggregator.slowest(),
    plan: info.offered,
    sweep,
    quality,
    cost,
    capacity_plan:
      planSpec === undefined
        ? undefined
        : capacityPlan({
            plan: planSpec,
            sweep,
            goodputPerS: core.rates.goodput_per_s,
            costPerRequestUsd:
              cost !== undefined && cost.priced > 0 ? cost.total_usd / cost.priced : undefined,
          }),
  });
  addActiveVus(summary, info.generator?.activeVus, aggregator.windowMs / 1000);
  const timeline: { events?: EventSummary[]; telemetry?: RunTelemetrySeries[] } = {};
  if (info.events !== undefined) timeline.events = eventsOf(info, summary);
  if (info.telemetry !== undefined) timeline.telemetry = info.telemetry;
  Object.assign(summary, timeline);
  if (info.generator === undefined) return Object.assign(summary, anomaliesOf(info, summary));
  const generator = assessGenerator({
    workers: info.workers ?? 1,
    loopDelayP99Ms: info.generator.loopDelayP99Ms,
    loopDelayMaxMs: info.generator.loopDelayMaxMs,
    schedulingLagP99Ms: core.metrics.scheduling_lag_ms?.p99,
    schedulingLagCount: core.metrics.scheduling_lag_ms?.count ?? 0,
    dropped: core.counts.dropped,
    cpuS: info.generator.cpuS,
    durationS: info.durationS,
  });
  return Object.assign(summary, { generator }, anomaliesOf(info, summary));
}

/**
 * Each window's `active_vus`: the most VUs the workers reported active during it (run.json's
 * samples), so the report draws the measured VUs, not the plan. Windows without a sample keep none.
 */
export function addActiveVus(
  summary: Summary,
  samples: readonly [number, number][] | undefined,
  widthS: number,
): void {
  if (samples === undefined || samples.length === 0 || !(widthS > 0)) return;
  const first = summary.windows[0]?.start_s ?? 0;
  const most = new Map<number, number>();
  for (const [at, vus] of samples) {
    // A worker reports its count about once a second, for the second before: half a window back.
    const i = Math.max(0, Math.floor((at - first - widthS / 2) / widthS));
    most.set(i, Math.max(most.get(i) ?? 0, vus));
  }
  for (const w of summary.windows) {
    const i = Math.round((w.start_s - first) / widthS);
    const vus = most.get(i);
    if (vus !== undefined) w.active_vus = vus;
  }
}

/** Advisory anomalies over the windows, with their likely causes, and how they agree with the thresholds. */
function anomaliesOf(info: RunInfo, summary: Summary): Pick<Summary, 'anomalies' | 'anomaly_concordance'> {
  const anomalies = detectAnomalies(
    {
      windows: summary.windows,
      durationS: summary.durationS,
      stages: info.stages,
      events: info.events,
      telemetry: info.telemetry,
      generator: info.generator,
      sameHost: info.target === 'mock',
    },
    {
      loopDelayLimitMs: DEFAULT_GENERATOR_LIMITS.loopDelayP99Ms,
      schedulingLagLimitMs: DEFAULT_GENERATOR_LIMITS.schedulingLagP99Ms,
    },
  );
  return { anomalies, anomaly_concordance: anomalyConcordance(anomalies, summary.thresholds) };
}

/** Writes `summary.json` and `report.html`. */
export function writeOutputs(dir: string, summary: Summary): void {
  writeFileSync(join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, RUN_FILES.report), renderHtmlReport(summary));
}

/** Writes the CI formats asked for: `--junit FILE` and `--markdown FILE`. */
export function writeCiFiles(summary: Summary, files: { junit?: string; markdown?: string }): void {
  if (files.junit !== undefined) writeFileSync(files.junit, renderJunit(summary));
  if (files.markdown !== undefined) writeFileSync(files.markdown, renderMarkdown(summary));
}

export interface Rebuilt {
  info: RunInfo;
  summary: RunSummary;
  /** What the records added up to (its histograms go to the run history). */
  aggregator: RunAggregator;
  /** Lines of records.jsonl that could not be read (a torn last line after a kill). */
  skippedLines: number[];
}

/** Rebuilds the summary of a run directory from `records.jsonl` and `events.jsonl`. */
export async function rebuildRun(dir: string): Promise<Rebuilt> {
  const info = readRunInfo(dir);
  const aggregator = new RunAggregator({
    slos: slosOf(testOf(info).slo),
    stages: info.stages ?? [],
    selectors: ownTallySelectors(Object.keys(info.thresholds ?? {})),
    labels: stepLabelsOf(info.test as { scenarios?: unknown[] } | undefined),
  });
  let lastEnd = 0;
  const report = await readJsonl<RequestRecord>(join(dir, RUN_FILES.records), (record) => {
    aggregator.add(record);
    if (record.end > lastEnd) lastEnd = record.end;
  });
  await readJsonl<RunEvent>(join(dir, RUN_FILES.events), (event) => {
    if (event.type !== 'dropped') return;
    if (event.times === undefined) aggregator.addDropped(event.at, event.n);
    else for (const at of event.times) aggregator.addDropped(at);
  }).catch(() => ({ skipped: [] }));
  // A run killed before it finished has no duration: its last completed request ends it.
  const durationS = info.durationS ?? lastEnd / 1000;
  return {
    info,
    summary: summarize(info, aggregator, durationS, readQualityScores(dir)),
    aggregator,
    skippedLines: report.skipped,
  };
}
