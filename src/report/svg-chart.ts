/**
 * @module report/svg-chart
 * A small hand-made inline SVG line chart for per-window series. No script
 * and no external resource, so the report stays one offline file.
 */
import { escapeHtml } from './html-escape.js';
import { formatValue } from './number-format.js';

export interface ChartSeries {
  name: string;
  values: readonly number[];
  color: string;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  /** Start of each window in seconds (the x axis). */
  x: readonly number[];
  series: readonly ChartSeries[];
  /** For `data-chart`, so a browser test can find the chart. */
  id: string;
  width?: number;
  height?: number;
}

const MARGIN = { left: 56, right: 16, top: 28, bottom: 28 };

/** Smallest 1, 2 or 5 × 10^k at or above `max`, so axis labels are round. */
function niceCeil(max: number): number {
  if (!(max > 0)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= max) return step * magnitude;
  return 10 * magnitude;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Renders the series as polylines over a shared x axis, with a y grid and a legend. */
export function renderLineChart(options: LineChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 220;
  const plotW = width - MARGIN.left - MARGIN.right;
  const plotH = height - MARGIN.top - MARGIN.bottom;
  const n = options.x.length;
  let top = 0;
  for (const s of options.series) for (const v of s.values) if (v > top) top = v;
  const yMax = niceCeil(top);
  const px = (i: number) => round1(MARGIN.left + (n <= 1 ? plotW / 2 : (i / (n - 1)) * plotW));
  const py = (v: number) => round1(MARGIN.top + plotH - (Math.max(0, v) / yMax) * plotH);

  const parts: string[] = [];
  for (const frac of [0, 0.25, 0.5, 0.75, 1]) {
    const y = py(yMax * frac);
    parts.push(
      `<line x1="${MARGIN.left}" y1="${y}" x2="${width - MARGIN.right}" y2="${y}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y + 4}" text-anchor="end">${escapeHtml(formatValue(yMax * frac))}</text>`,
    );
  }
  const xTicks = n === 0 ? [] : [...new Set([0, Math.floor((n - 1) / 2), n - 1])];
  for (const i of xTicks) {
    const label = `${formatValue(options.x[i] ?? 0)} s`;
    parts.push(`<text x="${px(i)}" y="${height - 8}" text-anchor="middle">${escapeHtml(label)}</text>`);
  }
  options.series.forEach((s, k) => {
    const dash = s.dashed === true ? ' stroke-dasharray="5 3"' : '';
    const color = escapeHtml(s.color);
    if (s.values.length === 1) {
      parts.push(`<circle cx="${px(0)}" cy="${py(s.values[0] ?? 0)}" r="3" fill="${color}"/>`);
    } else if (s.values.length > 1) {
      const points = s.values.map((v, i) => `${px(i)},${py(v)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5"${dash} points="${points}"/>`);
    }
    const lx = MARGIN.left + k * 140;
    parts.push(
      `<line x1="${lx}" y1="12" x2="${lx + 18}" y2="12" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 24}" y="16">${escapeHtml(s.name)}</text>`,
    );
  });
  return (
    `<svg class="chart" data-chart="${escapeHtml(options.id)}" role="img" aria-label="${escapeHtml(options.title)}" ` +
    `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-size="11" font-family="sans-serif">` +
    `<title>${escapeHtml(options.title)}</title>${parts.join('')}</svg>`
  );
}
