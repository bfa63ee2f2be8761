/**
 * @module report/text-table
 * Aligned plain-text columns for the terminal summary.
 */

export type Align = 'left' | 'right';

/** Visible width: ANSI colour codes take no columns. */
function width(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

function pad(text: string, to: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, to - width(text)));
  return align === 'left' ? text + fill : fill + text;
}

/** Renders rows as lines with columns padded to the widest cell; `align[i]` per column (default left). */
export function renderTable(
  rows: readonly (readonly string[])[],
  align: readonly Align[],
  indent = '',
): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, width(cell));
    });
  }
  return rows.map((row) =>
    (indent + row.map((cell, i) => pad(cell, widths[i] ?? 0, align[i] ?? 'left')).join('  ')).trimEnd(),
  );
}
