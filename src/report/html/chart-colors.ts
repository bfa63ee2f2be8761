/**
 * @module report/html/chart-colors
 * The colours of the report's charts: a palette for series in turn and one
 * colour per percentile, the same on every chart.
 * Why apart: time, load and distribution charts share them.
 */

const PALETTE = ['#0969da', '#cf222e', '#1f883d', '#9a6700', '#8250df', '#bc4c00', '#1b7c83', '#6e7781'];
export const P_COLORS = { p50: '#1f883d', p95: '#9a6700', p99: '#cf222e' } as const;

/** The palette's `i`-th colour, from its start again past its end. */
export function paletteColor(i: number): string {
  return PALETTE[i % PALETTE.length] ?? '';
}
