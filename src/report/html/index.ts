/**
 * @module report/html
 * The offline HTML report: tables of the summary's numbers and uPlot charts
 * of its windows, distributions and optional sections.
 */
export { MAX_TIME_POINTS } from './chart-data.js';
export { renderHtmlReport } from './page.js';
export {
  type EventMark,
  type ReportSections,
  readSections,
  type StageSpan,
  type SweepCurve,
  type TelemetrySeries,
} from './sections.js';
