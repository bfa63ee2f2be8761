/**
 * @module report/html/load-charts
 * The charts against load instead of time: a capacity sweep's latency
 * against completed throughput (knee, capacity and saturation marked) and
 * agent tasks' steps, model calls and amplification by stage load.
 * Why apart: they plot one point per load step from summary sections, not
 * the window series.
 */
import type { Summary } from '../summary.js';
import { P_COLORS, paletteColor } from './chart-colors.js';
import type { ChartSeriesSpec, ChartSpec } from './client/chart-types.js';
import type { ReportSections, SweepLatency } from './sections.js';

/**
 * Latency against completed throughput, the curve a sweep exists to draw: it bends where the
 * server saturates (offered load climbs on, throughput does not). Points go in throughput order;
 * a sweep without measured throughput (an external summary) is drawn against offered load.
 */
export function sweepChart(sections: ReportSections): ChartSpec[] {
  const sweep = sections.sweep;
  if (sweep === undefined) return [];
  const byThroughput = sweep.points.length > 0 && sweep.points.every((p) => p.throughput !== undefined);
  const pts = byThroughput
    ? [...sweep.points].sort((a, b) => (a.throughput ?? 0) - (b.throughput ?? 0) || a.offered - b.offered)
    : sweep.points;
  const xOf = (p: (typeof pts)[number]) => (byThroughput ? (p.throughput as number) : p.offered);
  /** Where an offered load lands on the x axis: the throughput its step completed. */
  const atOffered = (offered: number) => {
    if (!byThroughput) return offered;
    const p = pts.find((q) => q.offered === offered);
    return p === undefined ? undefined : xOf(p);
  };
  const vlines: { x: number; label: string }[] = [];
  const mark = (offered: number | undefined, label: string) => {
    const x = offered === undefined ? undefined : atOffered(offered);
    if (x !== undefined) vlines.push({ x, label: `${label} ${offered}` });
  };
  mark(sweep.knee, 'knee');
  mark(sweep.capacity, 'capacity');
  if (byThroughput && sweep.saturationThroughput !== undefined) {
    vlines.push({ x: sweep.saturationThroughput, label: `saturation ${sweep.saturationThroughput}` });
  }
  const latency = (
    name: 'ttft' | 'e2e',
    p: keyof SweepLatency,
    color: string,
    dash = false,
  ): ChartSeriesSpec => ({
    label: `${name.toUpperCase()} ${p} (ms)`,
    color,
    dash,
    values: pts.map((pt) => pt[name]?.[p] ?? null),
  });
  const has = (name: 'ttft' | 'e2e', p: keyof SweepLatency) => pts.some((pt) => pt[name]?.[p] !== undefined);
  const colors: Record<keyof SweepLatency, string> = { ...P_COLORS, p90: paletteColor(5) };
  const series: ChartSeriesSpec[] = (['p50', 'p90', 'p95', 'p99'] as const)
    .filter((p) => has('ttft', p))
    .map((p) => latency('ttft', p, colors[p], p === 'p99'));
  // A sweep without model steps judges E2E: draw its tail.
  const e2eTail = (['p95', 'p90', 'p99'] as const).find((p) => has('e2e', p));
  if (e2eTail !== undefined) series.push(latency('e2e', e2eTail, paletteColor(4), true));
  if (pts.some((p) => p.goodput !== undefined)) {
    series.push({
      label: 'goodput (req/s)',
      color: paletteColor(0),
      scale: 'y2',
      values: pts.map((p) => p.goodput ?? null),
    });
  }
  if (pts.some((p) => p.offeredPerS !== undefined)) {
    series.push({
      label: 'offered (req/s)',
      color: paletteColor(6),
      scale: 'y2',
      dash: true,
      values: pts.map((p) => p.offeredPerS ?? null),
    });
  }
  return [
    {
      id: 'sweep',
      title: byThroughput
        ? 'Sweep: latency against completed throughput'
        : 'Sweep: latency and goodput against offered load',
      kind: 'sweep',
      group: 'sweep',
      xLabel: byThroughput ? 'completed throughput (req/s)' : `offered load (${sweep.unit})`,
      yLabel: 'latency (ms)',
      y2Label: 'req/s',
      x: pts.map(xOf),
      series,
      vlines,
    },
  ];
}

/**
 * Agent tasks against load: steps and model calls per task, and the amplification, by stage
 * load (each stage's target); drawn when two or more stages with a target ran tasks.
 */
export function agentsChart(summary: Summary): ChartSpec[] {
  const stages = (summary.agents?.stages ?? []).filter((st) => st.target !== undefined);
  if (stages.length < 2) return [];
  const pts = [...stages].sort((a, b) => (a.target as number) - (b.target as number));
  return [
    {
      id: 'agents',
      title: 'Agent tasks: steps and model calls per task against load',
      kind: 'sweep',
      group: 'agents',
      xLabel: 'stage load (target)',
      yLabel: 'per task (mean)',
      y2Label: 'amplification (x)',
      x: pts.map((st) => st.target as number),
      series: [
        { label: 'steps per task', color: paletteColor(0), values: pts.map((st) => st.steps_mean) },
        {
          label: 'model calls per task',
          color: paletteColor(1),
          values: pts.map((st) => st.model_calls_mean),
        },
        {
          label: 'amplification (x)',
          color: paletteColor(4),
          dash: true,
          scale: 'y2',
          values: pts.map((st) => st.amplification),
        },
      ],
    },
  ];
}
