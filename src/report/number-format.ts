/**
 * @module report/number-format
 * How numbers read in the terminal and the HTML report. Deterministic (no
 * locale lookup), so rendered reports are stable.
 */
import type { MetricName } from '../metrics/index.js';

/** `1234567` → `1,234,567`; keeps decimals as given. */
function group(text: string): string {
  const [int = '', frac] = text.split('.');
  const sign = int.startsWith('-') ? '-' : '';
  const digits = sign === '' ? int : int.slice(1);
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return frac === undefined ? `${sign}${grouped}` : `${sign}${grouped}.${frac}`;
}

export function formatCount(n: number): string {
  return group(String(Math.round(n)));
}

/** Milliseconds with two decimals: `1,234.57`. */
export function formatMs(ms: number): string {
  return group(ms.toFixed(2));
}

/** Per-second rates with two decimals. */
export function formatRate(perS: number): string {
  return group(perS.toFixed(2));
}

/** A fraction as a percentage: `0.0244` → `2.44%`. */
export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toFixed(2)}%`;
}

/** US dollars: cents from $1 up, else 3 significant digits (a request costs millionths): `$0.000315`. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 1) return `$${group(usd.toFixed(2))}`;
  return `$${String(Number(usd.toPrecision(3)))}`;
}

/** A statistic of `metric`: ms with decimals, dollars as dollars, token counts whole (means with one decimal). */
export function formatStatValue(metric: MetricName, stat: string, value: number): string {
  if (metric.endsWith('_ms')) return formatMs(value);
  if (metric.endsWith('_usd')) return formatUsd(value);
  return stat === 'mean' ? group(value.toFixed(1)) : formatCount(value);
}

/** Any observed value (thresholds): whole numbers grouped, small ones to 3 significant digits. */
export function formatValue(value: number | null): string {
  if (value === null) return 'n/a';
  if (Number.isInteger(value)) return formatCount(value);
  if (Math.abs(value) < 1) return String(Number(value.toPrecision(3)));
  return group(value.toFixed(2));
}
