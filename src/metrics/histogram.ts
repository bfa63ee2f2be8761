/**
 * @module metrics/histogram
 * A mergeable HDR histogram of one metric, with exact count/min/max/sum kept
 * beside it. Milliseconds are recorded as integer microseconds; token counts
 * as integers. Every statistic it returns is rounded to 3 decimals.
 *
 * hdr-histogram-js is loaded by its parts: the package's index also loads its
 * WebAssembly build, pako and its log reader and writer (~45 ms per thread at
 * start-up), which tokenstorm never uses; the compressed encoding (it needs
 * pako) is loaded on first use.
 */
import { createRequire } from 'node:module';
import type * as hdr from 'hdr-histogram-js';

/** `ms`: durations in milliseconds (stored as µs); `count`: whole numbers such as tokens; `usd`: dollars (stored as nano-dollars). */
export type HistogramUnit = 'ms' | 'count' | 'usd';

/** The statistics of one metric as `summary.json` shows them (ms for durations). */
export interface MetricStats {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * A histogram for another thread (structured clone): the exact statistics in
 * integer units and the non-empty buckets as `[value, count]` pairs. A
 * worker's state of a second at 20,000 requests/s took 0.45 ms to make this
 * way and 1.4-6 ms with the compressed {@link MetricHistogram.encode}.
 */
export interface HistogramTransfer {
  unit: HistogramUnit;
  /** count, min, max and sum, in integer units (µs or counts). */
  stats: [number, number, number, number];
  buckets: Float64Array;
}

/** What a threshold needs from a histogram; {@link MetricHistogram} satisfies it. */
export interface PercentileSource {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  percentile(p: number): number;
}

const SCALE: Record<HistogramUnit, number> = { ms: 1000, count: 1, usd: 1e9 };
// One hour in µs; beyond that a value is clamped rather than growing the counts array ($1,000 a request in nano-dollars).
const TOP: Record<HistogramUnit, number> = { ms: 3_600_000_000, count: 1_000_000_000, usd: 1e12 };
/** Decimals a statistic keeps: 3 for ms and counts, 9 for dollars (a cheap request costs millionths). */
const DECIMALS: Record<HistogramUnit, number> = { ms: 1000, count: 1000, usd: 1e9 };
const ENCODING_PREFIX = 'tsh1';

const require = createRequire(import.meta.url);
/** The package's 32-bit JS histogram, as `build({ bitBucketSize: 32, useWebAssembly: false })` makes it. */
const Int32Histogram = (
  require('hdr-histogram-js/dist/Int32Histogram.js') as {
    default: new (lowest: number, highest: number, digits: number) => hdr.Histogram;
  }
).default;
type Encoding = Pick<typeof hdr, 'encodeIntoCompressedBase64' | 'decodeFromCompressedBase64'>;
let encoding: Encoding | undefined;
/** The compressed encoding, loaded the first time a histogram is encoded or decoded. */
function hdrEncoding(): Encoding {
  encoding ??= require('hdr-histogram-js/dist/encoding.js') as Encoding;
  return encoding;
}

function newHdr(): hdr.Histogram {
  // 1 to 2 (grown on demand), 3 significant digits: the package's defaults.
  const h = new Int32Histogram(1, 2, 3);
  h.autoResize = true;
  return withFastIndex(h);
}

/** What {@link withFastIndex} reads and replaces on a hdr-histogram-js histogram (its JS implementation). */
interface HdrIndexing {
  subBucketHalfCountMagnitude: number;
  unitMagnitude: number;
  countsArrayIndex(value: number): number;
}

/**
 * hdr-histogram-js finds a value's bucket with `Math.pow` twice and
 * `Math.log2` (JsHistogram#countsArrayIndex); recording took ~0.1 µs a value,
 * ten values a request, and `ieee754::pow` was the worker's largest native
 * function under `perf` in the plain-HTTP loop. For our configuration (1
 * unit, 3 digits: 2,048 sub-buckets, half 1,024) the same index is
 * `(bucket << 10) + (value >>> bucket)` with `bucket = max(0, 21 − clz32(value))`,
 * exact for integers below 2^32 (our values stop at 3.6 × 10^9). Installed
 * only when the histogram has that configuration; the library's method
 * serves anything else.
 */
function withFastIndex<T extends hdr.Histogram>(h: T): T {
  const js = h as unknown as HdrIndexing;
  if (js.subBucketHalfCountMagnitude !== 10 || js.unitMagnitude !== 0) return h;
  const general = js.countsArrayIndex;
  js.countsArrayIndex = function countsArrayIndex(this: HdrIndexing, value: number): number {
    if (!(value >= 0 && value < 4_294_967_296 && value === Math.floor(value)))
      return general.call(this, value);
    const bucket = Math.max(0, 21 - Math.clz32(value));
    return (bucket << 10) + (value >>> bucket);
  };
  return h;
}

function round3(x: number, unit: HistogramUnit = 'ms'): number {
  const d = DECIMALS[unit];
  return Math.round(x * d) / d;
}

/**
 * Histogram of one metric. `record` never throws: NaN is ignored, negatives
 * count as 0 and values above the top (1 hour, or 10^9 for counts) are clamped.
 */
export class MetricHistogram implements PercentileSource {
  readonly unit: HistogramUnit;
  #hdr: hdr.Histogram | undefined;
  // Encoded counts while compacted; see compact().
  #packed: string | undefined;
  // Exact statistics, in integer units (µs or counts), so merging is associative.
  #count = 0;
  #minUnits = 0;
  #maxUnits = 0;
  #sumUnits = 0;

  constructor(unit: HistogramUnit = 'ms') {
    this.unit = unit;
  }

  get count(): number {
    return this.#count;
  }
  get min(): number {
    return round3(this.#minUnits / SCALE[this.unit], this.unit);
  }
  get max(): number {
    return round3(this.#maxUnits / SCALE[this.unit], this.unit);
  }
  /** Exact sum of the recorded values (after rounding each to the unit). */
  get sum(): number {
    return round3(this.#sumUnits / SCALE[this.unit], this.unit);
  }
  get mean(): number {
    return this.#count === 0 ? 0 : round3(this.#sumUnits / this.#count / SCALE[this.unit], this.unit);
  }

  record(value: number): void {
    if (Number.isNaN(value)) return;
    this.#recordUnits(
      this.#counts(),
      Math.min(TOP[this.unit], Math.max(0, Math.round(value * SCALE[this.unit]))),
    );
  }

  /** Records every value of `values`, as `record` would one by one. */
  recordAll(values: readonly number[]): void {
    const counts = this.#counts();
    const scale = SCALE[this.unit];
    const top = TOP[this.unit];
    for (let k = 0; k < values.length; k++) {
      const value = values[k] as number;
      if (!Number.isNaN(value))
        this.#recordUnits(counts, Math.min(top, Math.max(0, Math.round(value * scale))));
    }
  }

  #recordUnits(counts: hdr.Histogram, units: number): void {
    counts.recordValue(units);
    if (this.#count === 0 || units < this.#minUnits) this.#minUnits = units;
    if (this.#count === 0 || units > this.#maxUnits) this.#maxUnits = units;
    this.#count++;
    this.#sumUnits += units;
  }

  /**
   * Value at percentile `p` (0..100): the nearest-rank value within the
   * histogram's 0.1% resolution, kept inside the exact [min, max].
   */
  percentile(p: number): number {
    if (this.#count === 0) return 0;
    if (p <= 0) return this.min;
    if (p >= 100) return this.max;
    const units = this.#counts().getValueAtPercentile(p);
    const clamped = Math.min(this.#maxUnits, Math.max(this.#minUnits, units));
    return round3(clamped / SCALE[this.unit], this.unit);
  }

  stats(): MetricStats {
    if (this.#count === 0) return { count: 0, min: 0, mean: 0, p50: 0, p90: 0, p95: 0, p99: 0, max: 0 };
    return {
      count: this.#count,
      min: this.min,
      mean: this.mean,
      p50: this.percentile(50),
      p90: this.percentile(90),
      p95: this.percentile(95),
      p99: this.percentile(99),
      max: this.max,
    };
  }

  /** Merges `other` into this histogram; the result equals recording both value streams into one. */
  add(other: MetricHistogram): void {
    if (other.unit !== this.unit) {
      throw new Error(`cannot merge a "${other.unit}" histogram into a "${this.unit}" histogram`);
    }
    if (other.#count === 0) return;
    this.#counts().add(other.#counts());
    if (this.#count === 0 || other.#minUnits < this.#minUnits) this.#minUnits = other.#minUnits;
    if (this.#count === 0 || other.#maxUnits > this.#maxUnits) this.#maxUnits = other.#maxUnits;
    this.#count += other.#count;
    this.#sumUnits += other.#sumUnits;
  }

  /**
   * Frees the counts array and keeps an encoded copy; the next use decodes it.
   * Lossless, so results do not depend on when (or whether) it was called.
   * Used for old time windows, which are rarely touched again.
   */
  compact(): void {
    if (this.#hdr === undefined) return;
    this.#packed = this.#count === 0 ? undefined : hdrEncoding().encodeIntoCompressedBase64(this.#hdr);
    this.#hdr = undefined;
  }

  /** This histogram for another thread (see {@link HistogramTransfer}). */
  toTransfer(): HistogramTransfer {
    const stats: HistogramTransfer['stats'] = [this.#count, this.#minUnits, this.#maxUnits, this.#sumUnits];
    if (this.#count === 0) return { unit: this.unit, stats, buckets: new Float64Array(0) };
    const h = this.#counts() as hdr.JsHistogram;
    const pairs: number[] = [];
    const zeros = h.getCountAtIndex(0);
    if (zeros > 0) pairs.push(0, zeros);
    // Only the span that holds values: a latency of 20-25 ms sits thousands of empty buckets up,
    // and walking them cost several ms per state while this code was not yet optimised.
    if (h.maxValue > 0) {
      const last = h.countsArrayIndex(h.maxValue);
      for (let i = Math.max(1, h.countsArrayIndex(h.minNonZeroValue)); i <= last; i++) {
        const n = h.getCountAtIndex(i);
        if (n > 0) pairs.push(h.valueFromIndex(i), n);
      }
    }
    return { unit: this.unit, stats, buckets: Float64Array.from(pairs) };
  }

  /** Merges a {@link MetricHistogram.toTransfer} of another histogram into this one (as {@link MetricHistogram.add}). */
  addTransfer(t: HistogramTransfer): void {
    if (t.unit !== this.unit) {
      throw new Error(`cannot merge a "${t.unit}" histogram into a "${this.unit}" histogram`);
    }
    const [count, minUnits, maxUnits, sumUnits] = t.stats;
    if (count === 0) return;
    const counts = this.#counts();
    const b = t.buckets;
    // Largest value first: the counts array grows once, not once per new power of two.
    for (let i = b.length - 2; i >= 0; i -= 2)
      counts.recordValueWithCount(b[i] as number, b[i + 1] as number);
    if (this.#count === 0 || minUnits < this.#minUnits) this.#minUnits = minUnits;
    if (this.#count === 0 || maxUnits > this.#maxUnits) this.#maxUnits = maxUnits;
    this.#count += count;
    this.#sumUnits += sumUnits;
  }

  /** A string for another thread or machine: unit, exact stats and the compressed HDR counts. */
  encode(): string {
    const counts =
      this.#count === 0 ? '' : (this.#packed ?? hdrEncoding().encodeIntoCompressedBase64(this.#counts()));
    return [
      ENCODING_PREFIX,
      this.unit,
      this.#count,
      this.#minUnits,
      this.#maxUnits,
      this.#sumUnits,
      counts,
    ].join(';');
  }

  /** Rebuilds a histogram from {@link MetricHistogram.encode}; throws on a string it did not write. */
  static decode(text: string): MetricHistogram {
    const parts = text.split(';');
    const [prefix, unit, ...rest] = parts;
    const [count, minUnits, maxUnits, sumUnits] = rest.slice(0, 4).map(Number);
    const counts = rest[4];
    if (
      parts.length !== 7 ||
      prefix !== ENCODING_PREFIX ||
      (unit !== 'ms' && unit !== 'count' && unit !== 'usd') ||
      counts === undefined ||
      ![count, minUnits, maxUnits, sumUnits].every((n) => Number.isSafeInteger(n))
    ) {
      throw new Error('not an encoded tokenstorm histogram');
    }
    const h = new MetricHistogram(unit);
    h.#count = count as number;
    h.#minUnits = minUnits as number;
    h.#maxUnits = maxUnits as number;
    h.#sumUnits = sumUnits as number;
    h.#packed = counts === '' ? undefined : counts;
    return h;
  }

  #counts(): hdr.Histogram {
    if (this.#hdr === undefined) {
      if (this.#packed === undefined) {
        this.#hdr = newHdr();
      } else {
        const decoded = hdrEncoding().decodeFromCompressedBase64(this.#packed, 32, false);
        decoded.autoResize = true;
        this.#hdr = withFastIndex(decoded);
        this.#packed = undefined;
      }
    }
    return this.#hdr;
  }
}
