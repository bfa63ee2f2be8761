/**
 * @module report/live-frame
 * Text of the live view: a multi-line frame for a terminal and a one-line
 * form for CI logs. Pure: figures in, text out.
 */
import pc from 'picocolors';
import type { LiveSnapshot } from './live-stats.js';
import { formatCount, formatMs, formatRate, formatUsd } from './number-format.js';

/** How the load generator itself is doing, from its event-loop delay. */
export interface LoopHealth {
  /** p99 event-loop delay of the last window, ms. */
  loopDelayP99Ms: number;
}

export type HealthLevel = 'ok' | 'busy' | 'overloaded';

/** Under 20 ms the generator keeps up; over 100 ms its own delays skew what it measures. */
export function loopHealthLevel(h: LoopHealth): HealthLevel {
  if (h.loopDelayP99Ms < 20) return 'ok';
  if (h.loopDelayP99Ms < 100) return 'busy';
  return 'overloaded';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function progressText(s: LiveSnapshot): { bar: number | undefined; text: string } {
  const p = s.progress;
  if (p === undefined) return { bar: undefined, text: 'starting' };
  const elapsed = Math.max(0, p.elapsedMs);
  if (p.plannedMs === undefined || p.plannedMs <= 0) return { bar: undefined, text: seconds(elapsed) };
  const frac = Math.min(1, elapsed / p.plannedMs);
  return { bar: frac, text: `${seconds(elapsed)} / ${seconds(p.plannedMs)} ${Math.round(frac * 100)}%` };
}

function errorsText(s: LiveSnapshot): string {
  const kinds = Object.entries(s.byError).map(([k, n]) => `${k} ${formatCount(n)}`);
  return kinds.length === 0 ? formatCount(s.errors) : `${formatCount(s.errors)} (${kinds.join(', ')})`;
}

/** ` · cost $0.0123` once anything was priced, else nothing. */
function costText(s: LiveSnapshot): string {
  return s.costUsd === undefined || s.costUsd === 0 ? '' : ` · cost ${formatUsd(s.costUsd)}`;
}

function loadText(s: LiveSnapshot): string[] {
  const p = s.progress;
  const parts: string[] = [];
  if (p?.activeVus !== undefined) parts.push(`VUs ${formatCount(p.activeVus)}`);
  if (p?.inFlight !== undefined) parts.push(`in flight ${formatCount(p.inFlight)}`);
  return parts;
}

/** The terminal frame (several lines, no trailing newline). */
export function renderLiveFrame(
  name: string,
  s: LiveSnapshot,
  health: LoopHealth,
  options: { color: boolean; width?: number },
): string {
  const c = pc.createColors(options.color);
  const { bar, text } = progressText(s);
  const barWidth = Math.max(10, Math.min(40, (options.width ?? 80) - 50));
  const filled = bar === undefined ? 0 : Math.round(bar * barWidth);
  const barText =
    bar === undefined ? '' : `${c.cyan('█'.repeat(filled))}${c.dim('░'.repeat(barWidth - filled))} `;
  const stage = s.progress?.stage === undefined ? '' : `  stage ${c.bold(s.progress.stage)}`;
  const w = s.window;
  const level = loopHealthLevel(health);
  const mark =
    level === 'ok'
      ? c.green('✓ ok')
      : level === 'busy'
        ? c.yellow('! busy')
        : c.red('✗ overloaded (results may be skewed)');
  const errors = s.errors > 0 ? c.red(errorsText(s)) : errorsText(s);
  const dropped = s.dropped > 0 ? c.yellow(formatCount(s.dropped)) : formatCount(s.dropped);
  return [
    `${c.bold('tokenstorm')} ${name}  ${barText}${text}${stage}`,
    [
      ...loadText(s),
      `${formatRate(w.requestsPerS)} req/s`,
      `${formatRate(w.outputTokensPerS)} output tok/s`,
    ].join(' · '),
    `TTFT p50 ${formatMs(w.ttft.p50)} p95 ${formatMs(w.ttft.p95)} ms · E2E p50 ${formatMs(w.e2e.p50)} p95 ${formatMs(w.e2e.p95)} ms ${c.dim(`(last ${w.seconds.toFixed(1)} s)`)}`,
    `requests ${formatCount(s.requests)} · ok ${formatCount(s.ok)} · errors ${errors} · cancelled ${formatCount(s.cancelled)} · dropped ${dropped}${costText(s)}`,
    `generator ${mark} ${c.dim(`event-loop delay p99 ${formatMs(health.loopDelayP99Ms)} ms`)}`,
  ].join('\n');
}

/** One plain line for logs that are not a terminal (CI). */
export function renderProgressLine(name: string, s: LiveSnapshot, health: LoopHealth): string {
  const w = s.window;
  const stage = s.progress?.stage === undefined ? [] : [`stage ${s.progress.stage}`];
  return [
    `[tokenstorm] ${name} ${progressText(s).text}`,
    ...stage,
    ...loadText(s),
    `${formatRate(w.requestsPerS)} req/s`,
    `${formatRate(w.outputTokensPerS)} output tok/s`,
    `TTFT p50/p95 ${formatMs(w.ttft.p50)}/${formatMs(w.ttft.p95)} ms`,
    `E2E p50/p95 ${formatMs(w.e2e.p50)}/${formatMs(w.e2e.p95)} ms`,
    `requests ${formatCount(s.requests)} ok ${formatCount(s.ok)} errors ${errorsText(s)} cancelled ${formatCount(s.cancelled)} dropped ${formatCount(s.dropped)}${costText(s).replace(' · ', ' ')}`,
    `generator ${loopHealthLevel(health)} (loop p99 ${formatMs(health.loopDelayP99Ms)} ms)`,
  ].join(' | ');
}
