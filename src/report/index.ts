/**
 * @module report
 * What a run leaves for people and CI: summary.json, the live terminal view,
 * the terminal summary, the offline HTML report, JUnit XML and Markdown.
 */
export { type ConsoleSummaryOptions, renderConsoleSummary } from './console-summary.js';
export { MAX_TIME_POINTS, type ReportSections, readSections, renderHtmlReport } from './html/index.js';
export { renderJunit } from './junit.js';
export { type LoopHealth, loopHealthLevel, renderLiveFrame, renderProgressLine } from './live-frame.js';
export { type LiveProgress, type LiveSnapshot, LiveStats, type LiveWindow } from './live-stats.js';
export {
  createLiveView,
  LiveView,
  type LiveViewOptions,
  PLAIN_INTERVAL_MS,
  plainIntervalFromEnv,
  TTY_INTERVAL_MS,
} from './live-view.js';
export { renderMarkdown } from './markdown.js';
export {
  genericPayload,
  NOTIFY_EVENTS,
  NOTIFY_FORMATS,
  type NotifyContext,
  type NotifyEvent,
  type NotifyFormat,
  type NotifyItem,
  type NotifySummary,
  type NotifyTarget,
  notifyItems,
  slackPayload,
} from './notify.js';
export {
  type DeliveryOptions,
  deliverNotifications,
  type NotificationResult,
  webhookLabel,
  webhookSecrets,
} from './notify-delivery.js';
export { buildSummary, SUMMARY_SCHEMA, type Summary, type SummaryExtras } from './summary.js';
