/**
 * @module protocols/steps/tool-rows
 * A simulated agent tool's results from a data file (`result_from:`): the rows
 * of a CSV (header row) or JSONL file, each turned into the text the model
 * gets (one column's value, or the whole row as JSON), read once per thread
 * and kept in memory. Why: recorded tool outputs (search hits, API answers)
 * make the model's context grow as it does in production, which a fixed
 * template cannot.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { z } from 'zod';

export const ToolRowsSchema = z.strictObject({
  /** CSV (header row) or JSONL; a relative path is relative to the test file. */
  file: z.string().min(1),
  /** From the extension when absent: `.csv`, `.jsonl`/`.ndjson`. */
  format: z.enum(['csv', 'jsonl']).optional(),
  /** The column (JSONL: field) whose value is the result; absent: the whole row as JSON. */
  column: z.string().min(1).optional(),
  /** `circular`: file order, wrapping (per tool, across the tasks of a worker); `random`: a row drawn per call. */
  strategy: z.enum(['circular', 'random']).default('circular'),
  /** CSV field delimiter. */
  delimiter: z.string().length(1).default(','),
});
export type ToolRowsSpec = z.output<typeof ToolRowsSchema>;

/** A file's rows are held in memory: a tool's recorded results, not a corpus. */
export const MAX_TOOL_ROWS_BYTES = 64 * 1024 * 1024;

const cache = new Map<string, readonly string[]>();

function formatOf(spec: ToolRowsSpec): 'csv' | 'jsonl' {
  if (spec.format !== undefined) return spec.format;
  const ext = extname(spec.file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  throw new Error(`cannot tell CSV from JSONL by the name of "${spec.file}"; expected format: csv or jsonl`);
}

function resultText(row: Record<string, unknown>, column: string | undefined, where: string): string {
  if (column === undefined) return JSON.stringify(row);
  if (!Object.hasOwn(row, column)) {
    const has = Object.keys(row)
      .map((k) => `"${k}"`)
      .join(', ');
    throw new Error(`${where}: no column "${column}" (the row has ${has})`);
  }
  const value = row[column];
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

function readRows(spec: ToolRowsSpec): string[] {
  const text = readFileSync(spec.file, 'utf8');
  if (Buffer.byteLength(text) > MAX_TOOL_ROWS_BYTES) {
    throw new Error(
      `${spec.file}: larger than ${MAX_TOOL_ROWS_BYTES} bytes (tool results are held in memory)`,
    );
  }
  const out: string[] = [];
  if (formatOf(spec) === 'csv') {
    let rows: Record<string, string>[];
    try {
      rows = parse(text, { columns: true, delimiter: spec.delimiter, skip_empty_lines: true, bom: true });
    } catch (err) {
      throw new Error(`${spec.file}: ${(err as Error).message}`);
    }
    rows.forEach((row, i) => {
      out.push(resultText(row, spec.column, `${spec.file}: data row ${i + 1}`));
    });
  } else {
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        throw new Error(`${spec.file}:${i + 1}: not a JSON object`);
      }
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new Error(`${spec.file}:${i + 1}: not a JSON object`);
      }
      out.push(resultText(row as Record<string, unknown>, spec.column, `${spec.file}:${i + 1}`));
    });
  }
  if (out.length === 0) throw new Error(`${spec.file}: no rows`);
  return out;
}

/**
 * The result texts of a `result_from` spec, read on first use and kept for the thread.
 * @throws Error naming the file (and line) when it cannot be read, has no rows or lacks the column.
 */
export function toolRows(spec: ToolRowsSpec): readonly string[] {
  const key = `${spec.file}\n${spec.format ?? ''}\n${spec.column ?? ''}\n${spec.delimiter}`;
  let rows = cache.get(key);
  if (rows === undefined) {
    rows = readRows(spec);
    cache.set(key, rows);
  }
  return rows;
}
