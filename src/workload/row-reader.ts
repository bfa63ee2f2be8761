/**
 * @module workload/row-reader
 * Streams the rows of a CSV (header row) or JSONL file with the byte range
 * of each, so a feeder never holds the file in memory and can read one row
 * again by its offsets. A row that cannot be read is a {@link DataError}
 * naming the file and line, never a row made up of what could be read.
 */
import { createReadStream } from 'node:fs';
import { type FileHandle, readFile } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';

/** One row: column → value (CSV values are strings; JSONL keeps its types). */
export type Row = Readonly<Record<string, unknown>>;

/** `sharegpt`: a ShareGPT JSON array of conversations, one row per conversation (see `sharegptRows`). */
export type RowFormat = 'csv' | 'jsonl' | 'sharegpt';

/** The longest row (bytes) read before it is an error: an unterminated quote must not read the whole file in. */
export const MAX_ROW_BYTES = 32 * 1024 * 1024;

/** A row of a feeder file that cannot be read: `file:line: what is wrong`. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    detail: string,
  ) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'DataError';
  }
}

/** A csv-parse error as a DataError; anything else as it is. */
function csvError(err: unknown, file: string): unknown {
  const e = err as { code?: unknown; lines?: unknown; records?: unknown; message?: string };
  if (typeof e?.code !== 'string' || !e.code.startsWith('CSV_')) return err;
  const line = typeof e.lines === 'number' ? e.lines : 0;
  // csv-parse counts the header as a record: the bad one is data row `records`.
  const row = typeof e.records === 'number' && e.records > 0 ? ` (data row ${e.records})` : '';
  return new DataError(file, line, `${e.message}${row}`);
}

/** A row and where it lies in the file: bytes `[start, end)`. */
export interface PositionedRow {
  row: Row;
  start: number;
  end: number;
}

/** `csv` or `jsonl` from the file name; undefined when neither. */
export function formatOf(file: string): RowFormat | undefined {
  if (/\.csv$/i.test(file)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(file)) return 'jsonl';
  return undefined;
}

function toRow(header: readonly string[], values: readonly string[]): Row {
  const row: Record<string, string> = {};
  for (let i = 0; i < header.length; i++) row[header[i] as string] = values[i] ?? '';
  return row;
}

/** How a CSV file is read: its delimiter, and whether a row may have more or fewer fields than the header. */
export interface CsvOptions {
  delimiter: string;
  relaxColumnCount: boolean;
}

const CSV_DEFAULTS: CsvOptions = { delimiter: ',', relaxColumnCount: false };

async function* csvRows(file: string, csv: CsvOptions, offsets: boolean): AsyncGenerator<PositionedRow> {
  // Offsets cost an info object per record: asked for only when indexing.
  const parser = createReadStream(file).pipe(
    parse({
      delimiter: csv.delimiter,
      bom: true,
      info: offsets,
      skip_empty_lines: true,
      relax_column_count: csv.relaxColumnCount,
      max_record_size: MAX_ROW_BYTES,
    }),
  );
  let header: string[] | undefined;
  let start = 0;
  try {
    for await (const item of parser as AsyncIterable<
      string[] | { record: string[]; info: { bytes: number } }
    >) {
      const record = Array.isArray(item) ? item : item.record;
      const end = Array.isArray(item) ? 0 : item.info.bytes;
      if (header === undefined) header = record;
      else yield { row: toRow(header, record), start, end };
      start = end;
    }
  } catch (err) {
    throw csvError(err, file);
  }
}

function parseJsonLine(text: string, file: string, line: number): Row {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new DataError(file, line, 'not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DataError(file, line, 'expected a JSON object per line');
  }
  return value as Row;
}

async function* jsonlRows(file: string): AsyncGenerator<PositionedRow> {
  let carry: Buffer = Buffer.alloc(0);
  let offset = 0;
  let line = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    const buf = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let from = 0;
    for (let nl = buf.indexOf(10, from); nl !== -1; nl = buf.indexOf(10, from)) {
      line++;
      const text = buf.toString('utf8', from, nl).trim();
      if (text !== '')
        yield { row: parseJsonLine(text, file, line), start: offset + from, end: offset + nl + 1 };
      from = nl + 1;
    }
    carry = buf.subarray(from);
    offset += from;
    if (carry.length > MAX_ROW_BYTES)
      throw new DataError(file, line + 1, `line longer than ${MAX_ROW_BYTES} bytes`);
  }
  const text = carry.toString('utf8').trim();
  if (text !== '')
    yield { row: parseJsonLine(text, file, line + 1), start: offset, end: offset + carry.length };
}

/** ShareGPT files read whole, by path: a row is read back by its index (`start`). */
const SHAREGPT_CACHE = new Map<string, Row[]>();

/**
 * A ShareGPT file (`[{ id, conversations: [{ from: human|gpt, value }] }]`, the
 * format vLLM's and SGLang's benchmarks load) as one row per conversation:
 * `{ id, turns: [the user's messages], replies: [the recorded answers] }`, so a
 * session sends every turn of it, not only the first. Read whole (JSON has no
 * line boundaries to stream by); a conversation with no user message is skipped.
 */
export function sharegptConversations(file: string, text: string): Row[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(file, 1, `not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(value))
    throw new DataError(file, 1, 'expected a JSON array of conversations (ShareGPT)');
  const rows: Row[] = [];
  value.forEach((item, i) => {
    const turns = (item as { conversations?: unknown } | null)?.conversations;
    if (!Array.isArray(turns)) {
      throw new DataError(
        file,
        1,
        `conversation ${i}: expected "conversations": [{ "from": "human", "value": … }]`,
      );
    }
    const said = (who: string[]) =>
      turns
        .filter((t) => who.includes(String((t as { from?: unknown })?.from)))
        .map((t) => String((t as { value?: unknown }).value ?? ''));
    const user = said(['human', 'user']);
    if (user.length === 0) return;
    rows.push({
      id: String((item as { id?: unknown }).id ?? i),
      turns: user,
      replies: said(['gpt', 'assistant']),
    });
  });
  return rows;
}

async function sharegptRowsOf(file: string): Promise<Row[]> {
  let rows = SHAREGPT_CACHE.get(file);
  if (rows === undefined) {
    rows = sharegptConversations(file, await readFile(file, 'utf8'));
    SHAREGPT_CACHE.set(file, rows);
  }
  return rows;
}

async function* sharegptRows(file: string): AsyncGenerator<PositionedRow> {
  const rows = await sharegptRowsOf(file);
  for (let i = 0; i < rows.length; i++) yield { row: rows[i] as Row, start: i, end: i + 1 };
}

/**
 * Rows of the file in order, streamed with backpressure (pulled, never
 * buffered whole). CSV byte offsets are filled in only when `offsets` is set.
 */
export function readRows(
  file: string,
  format: RowFormat,
  csv: CsvOptions = CSV_DEFAULTS,
  offsets = false,
): AsyncGenerator<PositionedRow> {
  if (format === 'sharegpt') return sharegptRows(file);
  return format === 'csv' ? csvRows(file, csv, offsets) : jsonlRows(file);
}

/** The header of a CSV file (its first record). */
export async function readCsvHeader(file: string, delimiter = ','): Promise<string[]> {
  const parser = createReadStream(file).pipe(parse({ delimiter, bom: true, to_line: 1 }));
  for await (const record of parser as AsyncIterable<string[]>) return record;
  return [];
}

/** Reads one row back from its byte range. */
export async function readRowAt(
  handle: FileHandle,
  format: RowFormat,
  start: number,
  end: number,
  header: readonly string[],
  csv: CsvOptions = CSV_DEFAULTS,
  file = 'feeder',
): Promise<Row> {
  if (format === 'sharegpt') return (await sharegptRowsOf(file))[start] as Row;
  const buf = Buffer.alloc(end - start);
  await handle.read(buf, 0, buf.length, start);
  if (format === 'jsonl') return parseJsonLine(buf.toString('utf8').trim(), file, 0);
  // Read whole once already (the index), so the row is known to parse.
  const records = parseSync(buf, {
    delimiter: csv.delimiter,
    relax_column_count: csv.relaxColumnCount,
  }) as string[][];
  return toRow(header, records[0] ?? []);
}
