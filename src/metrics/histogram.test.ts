import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import * as hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import { type HistogramTransfer, MetricHistogram } from './histogram.js';

/** Deterministic uniform source (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile, the definition HdrHistogram uses (its rank rounding ignores 1-ulp error). */
function exactPercentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p * sorted.length) / 100 - 1e-9));
  return sorted[rank - 1] as number;
}

function lognormalMs(random: () => number): number {
  // Latency-like: mostly tens to hundreds of ms with a long tail, rounded to µs like records.
  const u = Math.max(random(), 1e-12);
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  return Math.round(Math.exp(5 + 1.2 * z) * 1000) / 1000 + 1;
}

/** A histogram rebuilt from a transfer: the same counts, bucket for bucket. */
function fromTransfer(t: HistogramTransfer): MetricHistogram {
  const h = new MetricHistogram(t.unit);
  h.addTransfer(t);
  return h;
}

describe('MetricHistogram', () => {
  it('matches a sorted-array computation within 0.1%', () => {
    const random = rng(42);
    const values = Array.from({ length: 20_000 }, () => lognormalMs(random));
    const h = new MetricHistogram('ms');
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 50, 90, 95, 99, 99.9, 99.99]) {
      const exact = exactPercentile(sorted, p);
      expect(Math.abs(h.percentile(p) - exact) / exact).toBeLessThanOrEqual(0.001);
    }
    expect(h.count).toBe(values.length);
    expect(h.min).toBe(sorted[0]);
    expect(h.max).toBe(sorted[sorted.length - 1]);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(Math.abs(h.mean - mean)).toBeLessThan(0.001);
  });

  it('gives stats in ms rounded to 3 decimals, zeros when empty', () => {
    expect(new MetricHistogram().stats()).toEqual({
      count: 0,
      min: 0,
      mean: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      max: 0,
    });
    const h = new MetricHistogram();
    for (const v of [1.5, 2.25, 0.001]) h.record(v);
    expect(h.stats()).toEqual({
      count: 3,
      min: 0.001,
      mean: 1.25,
      p50: 1.5,
      p90: 2.25,
      p95: 2.25,
      p99: 2.25,
      max: 2.25,
    });
  });

  it('never throws: clamps at one hour, negatives to 0, ignores NaN', () => {
    const h = new MetricHistogram();
    h.record(10 * 3_600_000);
    h.record(Number.POSITIVE_INFINITY);
    h.record(-5);
    h.record(Number.NaN);
    expect(h.count).toBe(3);
    expect(h.max).toBe(3_600_000);
    expect(h.min).toBe(0);
  });

  it('recordAll equals recording one value at a time, clamping and NaN included', () => {
    const random = rng(11);
    const values = Array.from({ length: 2000 }, () => lognormalMs(random));
    values.push(10 * 3_600_000, Number.POSITIVE_INFINITY, -5, Number.NaN, 0, 0.0004);
    const one = new MetricHistogram();
    for (const v of values) one.record(v);
    const all = new MetricHistogram();
    all.recordAll(values.slice(0, 700));
    all.recordAll(values.slice(700));
    expect(all.stats()).toEqual(one.stats());
    expect(all.sum).toBe(one.sum);
    for (let p = 0; p <= 100; p += 0.5) expect(all.percentile(p)).toBe(one.percentile(p));
    expect(all.count).toBe(values.length - 1);
  });

  it('records token counts as whole numbers', () => {
    const h = new MetricHistogram('count');
    for (const n of [1, 64, 64, 128, 4096]) h.record(n);
    expect(h.stats()).toMatchObject({ count: 5, min: 1, p50: 64, max: 4096, mean: 870.6 });
    expect(h.percentile(99)).toBe(4096);
  });

  it('merging equals recording into one', () => {
    const random = rng(7);
    const a = new MetricHistogram();
    const b = new MetricHistogram();
    const one = new MetricHistogram();
    for (let i = 0; i < 5000; i++) {
      const v = lognormalMs(random);
      (i % 3 === 0 ? a : b).record(v);
      one.record(v);
    }
    a.add(b);
    expect(a.stats()).toEqual(one.stats());
    expect(a.percentile(99.9)).toBe(one.percentile(99.9));
    for (let p = 0; p <= 100; p += 0.5) expect(a.percentile(p)).toBe(one.percentile(p));
    expect(MetricHistogram.decode(a.encode()).stats()).toEqual(one.stats());
    expect(() => a.add(new MetricHistogram('count'))).toThrow(/cannot merge/);
  });

  it('encodes and decodes exactly, and compaction changes nothing', () => {
    const random = rng(3);
    const h = new MetricHistogram();
    for (let i = 0; i < 1000; i++) h.record(lognormalMs(random));
    const copy = MetricHistogram.decode(h.encode());
    expect(copy.stats()).toEqual(h.stats());
    expect(copy.percentile(99.9)).toBe(h.percentile(99.9));
    const before = h.stats();
    h.compact();
    expect(h.stats()).toEqual(before);
    h.record(5);
    copy.record(5);
    expect(h.stats()).toEqual(copy.stats());
    expect(MetricHistogram.decode(new MetricHistogram('count').encode()).stats().count).toBe(0);
    expect(() => MetricHistogram.decode('nope')).toThrow(/not an encoded/);
  });

  it("puts every value in the bucket hdr-histogram-js's own indexing gives it (powers of two, their neighbours, the top)", () => {
    const random = rng(11);
    const values: number[] = [0, 1, 2, 3, 1023, 1024, 1025, 2047, 2048, 2049, 3_600_000_000];
    for (let k = 1; k < 32; k++) for (const d of [-1, 0, 1]) values.push(Math.min(3_600_000_000, 2 ** k + d));
    for (let i = 0; i < 20_000; i++) values.push(Math.floor(random() ** 4 * 3_600_000_000));
    // In ms: recorded as µs, up to the one-hour top.
    const ours = new MetricHistogram('ms');
    for (const v of values) ours.record(v / 1000);
    // The library as shipped, same configuration, its own countsArrayIndex.
    const theirs = hdr.build({
      numberOfSignificantValueDigits: 3,
      useWebAssembly: false,
      bitBucketSize: 32,
      autoResize: true,
      lowestDiscernibleValue: 1,
    }) as hdr.JsHistogram;
    for (const v of values) theirs.recordValue(v);
    const pairs: number[] = [];
    for (let i = 0; i <= theirs.countsArrayIndex(theirs.maxValue); i++) {
      const n = theirs.getCountAtIndex(i);
      if (n > 0) pairs.push(theirs.valueFromIndex(i), n);
    }
    expect(Array.from(ours.toTransfer().buckets)).toEqual(pairs);
  });

  it('crosses a thread as buckets: merging the transfer equals merging the histogram', () => {
    const random = rng(5);
    const a = new MetricHistogram();
    const b = new MetricHistogram();
    for (let i = 0; i < 3000; i++) (i % 3 === 0 ? a : b).record(lognormalMs(random) * (i % 7 === 0 ? 50 : 1));
    // Zeros (a request sent on time has no scheduling lag) sit in the first bucket.
    for (let i = 0; i < 40; i++) (i % 2 === 0 ? a : b).record(0);
    const direct = new MetricHistogram();
    direct.add(a);
    direct.add(b);
    const viaTransfer = fromTransfer(structuredClone(a.toTransfer()));
    viaTransfer.addTransfer(structuredClone(b.toTransfer()));
    expect(viaTransfer.stats()).toEqual(direct.stats());
    expect(viaTransfer.sum).toBe(direct.sum);
    for (const p of [0.1, 10, 50, 99.9, 99.99]) expect(viaTransfer.percentile(p)).toBe(direct.percentile(p));
    // A compacted histogram transfers the same buckets.
    const before = a.toTransfer();
    a.compact();
    expect(a.toTransfer()).toEqual(before);
    expect(fromTransfer(new MetricHistogram('count').toTransfer()).count).toBe(0);
    const onlyZeros = new MetricHistogram();
    for (let i = 0; i < 5; i++) onlyZeros.record(0);
    expect(fromTransfer(onlyZeros.toTransfer()).stats()).toEqual(onlyZeros.stats());
    // Far from zero, only the buckets that hold values travel.
    const far = new MetricHistogram();
    for (let i = 0; i < 100; i++) far.record(20_000 + i);
    expect(far.toTransfer().buckets.length).toBeLessThanOrEqual(200);
    expect(() => a.addTransfer(new MetricHistogram('count').toTransfer())).toThrow(/cannot merge/);
  });
});

describe('loading hdr-histogram-js', () => {
  /** What a fresh process has loaded of the package after `script` ran on the built module. */
  function loadedAfter(script: string): string[] {
    const code = `import('./dist/metrics/histogram.js').then((m) => { ${script}; console.log(JSON.stringify(Object.keys(require.cache).filter((k) => k.includes('node_modules')).map((k) => k.replace(/.*node_modules\\//, '')))); })`;
    const out = execFileSync(process.execPath, ['-e', code], {
      cwd: join(import.meta.dirname, '../..'),
      encoding: 'utf8',
    });
    return JSON.parse(out) as string[];
  }

  it('records, merges and transfers without its WebAssembly build or pako; encoding loads them', () => {
    const plain = loadedAfter(
      'const a = new m.MetricHistogram(); a.record(5); a.record(70000); const b = new m.MetricHistogram(); b.addTransfer(a.toTransfer()); b.add(a); if (b.count !== 4) throw new Error("wrong count")',
    );
    expect(plain.some((k) => k.startsWith('hdr-histogram-js/dist/Int32Histogram'))).toBe(true);
    expect(plain.filter((k) => k.includes('/wasm/') || k.startsWith('pako/'))).toEqual([]);
    const encoded = loadedAfter(
      'const a = new m.MetricHistogram(); a.record(5); m.MetricHistogram.decode(a.encode()).percentile(50)',
    );
    expect(encoded.some((k) => k.startsWith('pako/'))).toBe(true);
  });
});
