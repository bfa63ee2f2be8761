/**
 * @module report
 * What a run leaves for people and CI: summary.json, the terminal summary
 * and the offline HTML report.
 */
export { type ConsoleSummaryOptions, renderConsoleSummary } from './console-summary.js';
export { renderHtmlReport } from './html-report.js';
export { buildSummary, SUMMARY_SCHEMA, type Summary } from './summary.js';
