/**
 * @module cli/run-outputs
 * From a run's aggregates to its files: the one path shared by `run` and
 * `report`, so a rebuild gives the same summary as the live run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createThresholdSource, evaluateThresholds, type Thresholds } from '../analysis/index.js';
import { distributionsOf, type RequestRecord, RunAggregator } from '../metrics/index.js';
import { buildSummary, renderHtmlReport, type Summary } from '../report/index.js';
import { RUN_FILES, type RunEvent, type RunInfo, readJsonl, readRunInfo } from '../store/index.js';

/** The summary of a run from its info and aggregates. */
export function summarize(info: RunInfo, aggregator: RunAggregator, durationS: number): Summary {
  const core = aggregator.snapshot({
    name: info.name,
    startedAt: info.startedAt,
    durationS,
    scenarios: info.scenarios,
  });
  const results = evaluateThresholds(info.thresholds as Thresholds, createThresholdSource(aggregator, core));
  return buildSummary(info.name, core, results, {
    distributions: distributionsOf((metric) => aggregator.histogram(metric)),
    slowest: aggregator.slowest(),
  });
}

/** Writes `summary.json` and `report.html`. */
export function writeOutputs(dir: string, summary: Summary): void {
  writeFileSync(join(dir, RUN_FILES.summary), `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(join(dir, RUN_FILES.report), renderHtmlReport(summary));
}

export interface Rebuilt {
  info: RunInfo;
  summary: Summary;
  /** Lines of records.jsonl that could not be read (a torn last line after a kill). */
  skippedLines: number[];
}

/** Rebuilds the summary of a run directory from `records.jsonl` and `events.jsonl`. */
export async function rebuildRun(dir: string): Promise<Rebuilt> {
  const info = readRunInfo(dir);
  const aggregator = new RunAggregator({});
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
  return { info, summary: summarize(info, aggregator, durationS), skippedLines: report.skipped };
}
