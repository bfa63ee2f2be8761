/**
 * @module report/html/client/chart-types
 * The contract between the report's renderer and its page: the chart data
 * embedded as JSON (`#report-data`), built by `chart-data.ts` and drawn by
 * `charts.ts` in the browser. Types only, so both sides check against it.
 */

export interface ChartSeriesSpec {
  label: string;
  color: string;
  /** `null` where there is no value (an empty window). */
  values: (number | null)[];
  /** Dashed (`true`: 6 on, 3 off) or a canvas dash pattern in CSS pixels. */
  dash?: boolean | number[];
  /** Line width in CSS pixels (1.5 when absent): a wide line drawn first shows around one it coincides with. */
  width?: number;
  /** `y2` puts the series on a right-hand axis. */
  scale?: 'y' | 'y2';
}

export interface ChartSpec {
  id: string;
  title: string;
  /** `time` charts get the stage bands and event lines. */
  kind: 'time' | 'cdf' | 'sweep';
  group: 'time' | 'distribution' | 'sweep' | 'telemetry' | 'agents';
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  x: number[];
  series: ChartSeriesSpec[];
  /** Vertical markers of this chart only (knee, capacity). */
  vlines?: { x: number; label: string }[];
  /** Anomalous windows of this chart's series (`summary.anomalies`), shaded. */
  spans?: { from: number; to: number; label: string }[];
}

export interface ChartData {
  charts: ChartSpec[];
  stages: { name: string; start: number; end: number }[];
  events: { at: number; label: string; for_s?: number | undefined }[];
  /** Windows merged per point (1 when not downsampled). */
  mergedWindows: number;
  /**
   * Seconds from the first to the last stage or event (clipped to the run), which every time
   * chart spans at least; absent without stages and events.
   */
  marksSpan?: [number, number];
}
