/**
 * @module load/trace-file
 * Reads an arrival trace: JSONL (one object per line, e.g. Mooncake's
 * `{ timestamp, input_length, output_length }`) or CSV with a header (e.g.
 * Azure's `TIMESTAMP,ContextTokens,GeneratedTokens`). Each row becomes an
 * arrival time and the data the workload sees as `trace.*`.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse/sync';
import { ConfigError } from '../core/index.js';

/** One arrival of a trace: ms since the trace's first arrival, and its fields. */
export interface Trace {
  /** Arrival offsets in trace time (ms from the first), ascending. */
  offsets: Float64Array;
  /** `{ input_tokens, output_tokens, timestamp, …every other field }` per arrival. */
  rows: Record<string, unknown>[];
}

const INPUT_NAMES = ['input_tokens', 'input_length', 'contexttokens', 'prompt_tokens', 'context_tokens'];
const OUTPUT_NAMES = [
  'output_tokens',
  'output_length',
  'generatedtokens',
  'completion_tokens',
  'generated_tokens',
];
const TIME_NAMES = ['timestamp', 'time', 'arrival_time', 'timestamp_ms'];
// `2023-11-16 18:17:03.9799600` (Azure) or ISO-8601; any number of fractional digits, UTC unless zoned.
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Milliseconds of a timestamp: a number is ms (Mooncake), a string a date-time. */
export function timestampMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const whole = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8] ?? 'Z'}`);
  if (Number.isNaN(whole)) return undefined;
  return whole + (m[7] === undefined ? 0 : Number(`0.${m[7]}`) * 1000);
}

function field(row: Record<string, unknown>, names: readonly string[]): [string, unknown] | undefined {
  for (const key of Object.keys(row)) if (names.includes(key.toLowerCase())) return [key, row[key]];
  return undefined;
}

function asNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function readRows(file: string, text: string, format: 'csv' | 'jsonl'): Record<string, unknown>[] {
  if (format === 'csv') {
    try {
      return parse(text, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Record<
        string,
        unknown
      >[];
    } catch (err) {
      throw new ConfigError(`${file}: not a CSV trace with a header row: ${(err as Error).message}`);
    }
  }
  const rows: Record<string, unknown>[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch {
      throw new ConfigError(`${file}:${i + 1}: expected one JSON object per line`);
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw new ConfigError(`${file}:${i + 1}: expected one JSON object per line`);
    }
    rows.push(row as Record<string, unknown>);
  });
  return rows;
}

/** Loads a trace; a missing file or a row without a usable timestamp is a ConfigError naming the line. */
export function loadTrace(file: string, format?: 'csv' | 'jsonl'): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`${file}: cannot read the trace file (load.file)`);
  }
  const kind = format ?? (extname(file).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  const raw = readRows(file, text, kind);
  if (raw.length === 0) throw new ConfigError(`${file}: the trace has no rows`);
  const stamped = raw.map((row, i) => {
    const time = field(row, TIME_NAMES);
    const ms = time === undefined ? undefined : timestampMs(time[1]);
    if (ms === undefined) {
      const line = kind === 'csv' ? i + 2 : i + 1;
      throw new ConfigError(
        `${file}:${line}: expected a timestamp (a "timestamp" field: ms, or a date-time such as 2023-11-16 18:17:03.98)`,
      );
    }
    const data: Record<string, unknown> = { ...row, timestamp_ms: ms };
    const input = field(row, INPUT_NAMES);
    const output = field(row, OUTPUT_NAMES);
    if (input !== undefined) data.input_tokens = asNumber(input[1]);
    if (output !== undefined) data.output_tokens = asNumber(output[1]);
    return { ms, data };
  });
  // A trace is replayed in time order, whatever order its file is in.
  stamped.sort((a, b) => a.ms - b.ms);
  const first = stamped[0]?.ms ?? 0;
  return { offsets: Float64Array.from(stamped, (s) => s.ms - first), rows: stamped.map((s) => s.data) };
}
