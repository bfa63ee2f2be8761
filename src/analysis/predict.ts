/**
 * @module analysis/predict
 * Test vs production (`tokenstorm predict-check`): the latency a run predicts
 * at production's traffic level, by linear interpolation of its stages' (or
 * sweep steps') p95/p99 over their achieved rate, against what production
 * observed; and the drift rule over releases (|error| > 15% three releases in
 * a row). Pure: parsed rows and stage figures in, figures out. Why: a load
 * test is only worth trusting for a release while its environment still
 * predicts production (docs/predict-check.md).
 */
import { parse as parseCsv } from 'csv-parse/sync';

/** One production observation of one endpoint: at a time, or at a named traffic level. */
export interface ProductionRow {
  endpoint: string;
  /** A traffic level's name (`peak`) when the file has one; rows without share the level `observed`. */
  level: string;
  /** Unix seconds, when the file has times. */
  at?: number;
  rps?: number;
  p95Ms?: number;
  p99Ms?: number;
}

export const PREDICT_QUANTILES = ['p95', 'p99'] as const;
export type PredictQuantile = (typeof PREDICT_QUANTILES)[number];

/** A bad production file: the message names what is wrong (the CLI exits 2). */
export class ProductionFileError extends Error {}

const DEFAULT_LEVEL = 'observed';

function key(name: string): string {
  return name.trim().toLowerCase();
}

const RPS_KEYS = ['rps', 'requests_per_s', 'requests_per_second', 'req_per_s', 'qps'];
const LEVEL_KEYS = ['level', 'traffic_level', 'traffic'];
const TIME_KEYS = ['timestamp', 'time', 'ts'];

function numberOf(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isFinite(n) || n < 0)
    throw new ProductionFileError(`${where}: expected a number >= 0, got ${JSON.stringify(value)}`);
  return n;
}

function timeOf(value: unknown, where: string): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || /^\s*\d+(\.\d+)?\s*$/.test(String(value))) {
    const n = Number(value);
    // Milliseconds since the epoch are 1000× larger than seconds: 1e11 s is the year 5138.
    return n > 1e11 ? n / 1000 : n;
  }
  const ms = Date.parse(String(value));
  if (Number.isNaN(ms))
    throw new ProductionFileError(
      `${where}: expected a timestamp (ISO 8601 or unix seconds), got ${JSON.stringify(value)}`,
    );
  return ms / 1000;
}

/** A row from a record with the documented keys (any case); `where` names it in errors. */
function rowOf(record: Record<string, unknown>, where: string): ProductionRow {
  const fields = new Map(Object.entries(record).map(([k, v]) => [key(k), v]));
  const pick = (names: readonly string[]) =>
    names.map((n) => fields.get(n)).find((v) => v !== undefined && v !== '');
  const latency = (q: PredictQuantile): number | undefined => {
    const ms = numberOf(fields.get(`${q}_ms`), `${where}: ${q}_ms`);
    if (ms !== undefined) return ms;
    const s = numberOf(fields.get(`${q}_s`), `${where}: ${q}_s`);
    return s === undefined ? undefined : s * 1000;
  };
  const row: ProductionRow = {
    endpoint: String(pick(['endpoint', 'route', 'handler']) ?? 'all'),
    level: String(pick(LEVEL_KEYS) ?? DEFAULT_LEVEL),
  };
  const at = timeOf(pick(TIME_KEYS), `${where}: timestamp`);
  if (at !== undefined) row.at = at;
  const rps = numberOf(pick(RPS_KEYS), `${where}: rps`);
  if (rps !== undefined) row.rps = rps;
  const p95 = latency('p95');
  if (p95 !== undefined) row.p95Ms = p95;
  const p99 = latency('p99');
  if (p99 !== undefined) row.p99Ms = p99;
  return row;
}

function checkRows(rows: ProductionRow[], source: string): ProductionRow[] {
  if (rows.length === 0) throw new ProductionFileError(`${source}: no rows`);
  if (!rows.some((r) => r.rps !== undefined)) {
    throw new ProductionFileError(
      `${source}: no requests/s (expected a column or key rps, requests_per_s or qps)`,
    );
  }
  if (!rows.some((r) => r.p95Ms !== undefined || r.p99Ms !== undefined)) {
    throw new ProductionFileError(`${source}: no latency (expected p95_ms, p99_ms, p95_s or p99_s)`);
  }
  return rows;
}

/** CSV with a header row: endpoint?, timestamp | level?, rps, p95_ms?, p99_ms? (or p95_s, p99_s). */
export function parseProductionCsv(text: string, source: string): ProductionRow[] {
  let records: Record<string, string>[];
  try {
    records = parseCsv(text, { columns: true, skip_empty_lines: true, trim: true, comment: '#' }) as Record<
      string,
      string
    >[];
  } catch (err) {
    throw new ProductionFileError(`${source}: not CSV: ${(err as Error).message}`);
  }
  return checkRows(
    records.map((r, i) => rowOf(r, `${source}: line ${i + 2}`)),
    source,
  );
}

interface PromSeries {
  metric?: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

export interface PrometheusOptions {
  /** The label naming the endpoint; default the first of endpoint, handler, route, path present. */
  endpointLabel?: string;
  /** Unit of the latency series' values; Prometheus histograms are in seconds (default). */
  unit?: 's' | 'ms';
}

/**
 * A Prometheus range-query (or instant-query) answer: series with a `quantile`
 * label (0.95, 0.99) are latency, the others requests/s; they are joined on
 * endpoint and timestamp.
 */
export function parsePrometheus(
  doc: unknown,
  source: string,
  options: PrometheusOptions = {},
): ProductionRow[] {
  const data = (doc as { data?: { resultType?: string; result?: unknown } }).data;
  if (data?.resultType !== 'matrix' && data?.resultType !== 'vector') {
    throw new ProductionFileError(
      `${source}: data.resultType: expected "matrix" (a range query) or "vector"`,
    );
  }
  if (!Array.isArray(data.result))
    throw new ProductionFileError(`${source}: data.result: expected a list of series`);
  const scale = (options.unit ?? 's') === 's' ? 1000 : 1;
  const rows = new Map<string, ProductionRow>();
  (data.result as PromSeries[]).forEach((series, i) => {
    const labels = series.metric ?? {};
    const endpointLabel =
      options.endpointLabel ?? ['endpoint', 'handler', 'route', 'path'].find((l) => labels[l] !== undefined);
    const endpoint = endpointLabel === undefined ? 'all' : (labels[endpointLabel] ?? 'all');
    const quantile = labels.quantile ?? labels.le_quantile;
    let field: 'rps' | 'p95Ms' | 'p99Ms' | undefined;
    if (quantile === undefined) field = 'rps';
    else if (Number(quantile) === 0.95) field = 'p95Ms';
    else if (Number(quantile) === 0.99) field = 'p99Ms';
    if (field === undefined) return;
    const points = series.values ?? (series.value === undefined ? [] : [series.value]);
    for (const [j, point] of points.entries()) {
      const at = Number(point[0]);
      const value = Number(point[1]);
      if (!Number.isFinite(at)) {
        throw new ProductionFileError(
          `${source}: data.result[${i}].values[${j}]: expected [unix seconds, "value"]`,
        );
      }
      // NaN (no traffic in the interval) is a gap, not an error.
      if (!Number.isFinite(value)) continue;
      const id = `${endpoint}\u0000${at}`;
      let row = rows.get(id);
      if (row === undefined) {
        row = { endpoint, level: DEFAULT_LEVEL, at };
        rows.set(id, row);
      }
      row[field] = field === 'rps' ? value : value * scale;
    }
  });
  return checkRows([...rows.values()], source);
}

/** JSON: a list of rows (the CSV's keys), `{ "rows": [...] }`, or a Prometheus query answer. */
export function parseProductionJson(
  text: string,
  source: string,
  options: PrometheusOptions = {},
): ProductionRow[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ProductionFileError(`${source}: not JSON: ${(err as Error).message}`);
  }
  if (doc !== null && typeof doc === 'object' && 'data' in doc && 'status' in doc) {
    return parsePrometheus(doc, source, options);
  }
  const list = Array.isArray(doc) ? doc : (doc as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(list)) {
    throw new ProductionFileError(
      `${source}: expected a list of rows, { "rows": [...] } or a Prometheus query answer ({"status":"success","data":{...}})`,
    );
  }
  return checkRows(
    list.map((r, i) => {
      if (r === null || typeof r !== 'object' || Array.isArray(r)) {
        throw new ProductionFileError(`${source}: [${i}]: expected an object`);
      }
      return rowOf(r as Record<string, unknown>, `${source}: [${i}]`);
    }),
    source,
  );
}

/** A point of the run's latency curve: a stage's achieved rate and its percentiles. */
export interface CurvePoint {
  stage: string;
  rate: number;
  p95: number;
  p99: number;
}

/** What a curve is made of: summary.json → stages. */
export interface StageLike {
  name: string;
  warmup?: boolean;
  counts: { requests: number };
  flow?: { completed_per_s: number };
  metrics: Record<string, { p95?: number; p99?: number; count?: number } | undefined>;
}

/** The run's measured stages as points (warm-ups and stages without the metric left out), by rate. */
export function curveOf(stages: readonly StageLike[], metric: string): CurvePoint[] {
  const points: CurvePoint[] = [];
  for (const s of stages) {
    const m = s.metrics[metric];
    if (s.warmup || s.flow === undefined || m?.p95 === undefined || m.p99 === undefined || !(m.count ?? 1))
      continue;
    points.push({ stage: s.name, rate: s.flow.completed_per_s, p95: m.p95, p99: m.p99 });
  }
  return points.sort((a, b) => a.rate - b.rate);
}

/** Linear interpolation of `q` at `rate`; undefined outside the curve's rates. */
export function interpolate(
  curve: readonly CurvePoint[],
  rate: number,
  q: PredictQuantile,
): number | undefined {
  const first = curve[0];
  const last = curve.at(-1);
  if (first === undefined || last === undefined || rate < first.rate || rate > last.rate) return undefined;
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1] as CurvePoint;
    const b = curve[i] as CurvePoint;
    if (rate > b.rate) continue;
    if (b.rate === a.rate) return (a[q] + b[q]) / 2;
    return a[q] + ((b[q] - a[q]) * (rate - a.rate)) / (b.rate - a.rate);
  }
  return first[q];
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** One predicted-vs-observed figure. */
export interface PredictRow {
  level: string;
  endpoint: string;
  quantile: PredictQuantile;
  /** The production traffic level the prediction is made at (all endpoints' requests/s together). */
  rps: number;
  predicted: number | null;
  observed: number;
  /** (predicted − observed) ÷ observed; null without a prediction. */
  error: number | null;
  note?: string;
}

/**
 * At each production traffic level (rows grouped by `level`; per endpoint the
 * median of its rows' requests/s and latencies, the level's rate the sum over
 * endpoints), the run's predicted p95/p99 against the observed ones.
 */
export function predictRows(curve: readonly CurvePoint[], rows: readonly ProductionRow[]): PredictRow[] {
  const levels = new Map<string, Map<string, ProductionRow[]>>();
  for (const r of rows) {
    const byEndpoint = levels.get(r.level) ?? new Map<string, ProductionRow[]>();
    levels.set(r.level, byEndpoint);
    byEndpoint.set(r.endpoint, [...(byEndpoint.get(r.endpoint) ?? []), r]);
  }
  const out: PredictRow[] = [];
  const lo = curve[0]?.rate ?? 0;
  const hi = curve.at(-1)?.rate ?? 0;
  for (const [level, byEndpoint] of levels) {
    let rps = 0;
    for (const list of byEndpoint.values())
      rps += median(list.flatMap((r) => (r.rps === undefined ? [] : [r.rps]))) ?? 0;
    for (const [endpoint, list] of byEndpoint) {
      for (const q of PREDICT_QUANTILES) {
        const observed = median(
          list.flatMap((r) => {
            const v = q === 'p95' ? r.p95Ms : r.p99Ms;
            return v === undefined ? [] : [v];
          }),
        );
        if (observed === undefined) continue;
        const predicted = interpolate(curve, rps, q);
        const row: PredictRow = {
          level,
          endpoint,
          quantile: q,
          rps: round(rps, 3),
          predicted: predicted === undefined ? null : round(predicted, 3),
          observed: round(observed, 3),
          error:
            predicted === undefined || observed === 0 ? null : round((predicted - observed) / observed, 4),
        };
        if (predicted === undefined) {
          row.note = `${round(rps, 2)} req/s is outside the run's achieved rates [${round(lo, 2)}, ${round(hi, 2)}]`;
        }
        out.push(row);
      }
    }
  }
  return out;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** |error| above this is off, in the drift rule. */
export const DRIFT_LIMIT = 0.15;
/** Releases in a row that must be off before drift is flagged. */
export const DRIFT_RELEASES = 3;

/** One release's stored error of one series (level, endpoint, quantile), oldest release first. */
export interface ReleaseError {
  release: string;
  level: string;
  endpoint: string;
  quantile: string;
  error: number;
}

export interface DriftSeries {
  level: string;
  endpoint: string;
  quantile: string;
  /** The last releases checked (up to DRIFT_RELEASES), oldest first. */
  releases: { release: string; error: number }[];
  drifted: boolean;
}

export interface Drift {
  /** Some series was off by more than ±15% in each of the last three releases. */
  drifted: boolean;
  series: DriftSeries[];
}

/** The drift rule over stored errors, given oldest release first. */
export function driftOf(errors: readonly ReleaseError[]): Drift {
  const series = new Map<string, ReleaseError[]>();
  for (const e of errors) {
    const id = `${e.level}\u0000${e.endpoint}\u0000${e.quantile}`;
    series.set(id, [...(series.get(id) ?? []), e]);
  }
  const out: DriftSeries[] = [];
  for (const list of series.values()) {
    const last = list.slice(-DRIFT_RELEASES);
    const first = list[0] as ReleaseError;
    out.push({
      level: first.level,
      endpoint: first.endpoint,
      quantile: first.quantile,
      releases: last.map((e) => ({ release: e.release, error: e.error })),
      drifted: last.length === DRIFT_RELEASES && last.every((e) => Math.abs(e.error) > DRIFT_LIMIT),
    });
  }
  return { drifted: out.some((s) => s.drifted), series: out };
}
