/**
 * @module report/html/cells
 * The report's HTML building blocks for numbers: a cell, a card, a table.
 * Every number carries `data-metric` (its path in summary.json) and
 * `data-value` (its raw value), so the browser test can check each one.
 */
import { escapeHtml } from '../html-escape.js';

/** A cell holding a number: formatted text, the raw value in `data-value` (empty for `null`, no value). */
export function numCell(metric: string, value: number | null, text: string, tag = 'td', cls = ''): string {
  const attrs = `${cls === '' ? '' : ` class="${cls}"`} data-metric="${escapeHtml(metric)}" data-value="${escapeHtml(value ?? '')}"`;
  return `<${tag}${attrs}>${escapeHtml(text)}</${tag}>`;
}

/** A key-number card. */
export function card(label: string, metric: string, value: number, text: string): string {
  return `<div class="card"><div class="label">${escapeHtml(label)}</div>${numCell(metric, value, text, 'div', 'num')}</div>`;
}

/** A scrolling table; every column after the first holds numbers. */
export function table(head: readonly string[], rows: readonly string[]): string {
  const th = head.map((h, i) => `<th${i === 0 ? '' : ' class="num"'}>${escapeHtml(h)}</th>`).join('');
  return `<div class="scroll"><table><thead><tr>${th}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}
