import { execFileSync } from 'node:child_process';
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../test/support/cli.js';
import { collectGarbage } from './full-gc.js';

/** `PerformanceGCEntry` detail kind of a full (mark-compact) collection. */
const MAJOR = 4;

function majorCollections(run: () => void): Promise<number> {
  return new Promise((resolve) => {
    const seen: PerformanceEntry[] = [];
    const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
    observer.observe({ entryTypes: ['gc'] });
    run();
    // gc entries are delivered asynchronously, after the collection.
    setTimeout(() => {
      observer.disconnect();
      resolve(seen.filter((e) => (e as { detail?: { kind?: number } }).detail?.kind === MAJOR).length);
    }, 200);
  });
}

describe('collectGarbage', () => {
  it('runs a full collection each time it is called', async () => {
    expect(await majorCollections(() => collectGarbage())).toBeGreaterThanOrEqual(1);
    expect(await majorCollections(() => collectGarbage())).toBeGreaterThanOrEqual(1);
  });

  it('leaves the global scope as it was', () => {
    // The suite runs with --expose-gc (vitest.config.ts); whatever `gc` the global holds stays.
    const before = (globalThis as { gc?: unknown }).gc;
    collectGarbage();
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
  });

  it('works in a process started without --expose-gc, whose global keeps no gc', () => {
    // The built module (npm test builds dist/ first): this suite itself runs with --expose-gc.
    const module = pathToFileURL(`${ROOT}dist/engine/full-gc.js`).href;
    const script = `
      import { PerformanceObserver } from 'node:perf_hooks';
      import { collectGarbage } from ${JSON.stringify(module)};
      const kinds = [];
      const observer = new PerformanceObserver((list) => kinds.push(...list.getEntries().map((e) => e.detail.kind)));
      observer.observe({ entryTypes: ['gc'] });
      const before = typeof globalThis.gc;
      collectGarbage();
      setTimeout(() => console.log(JSON.stringify({ before, after: typeof globalThis.gc, kinds })), 200);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const result = JSON.parse(out) as { before: string; after: string; kinds: number[] };
    expect(result.before).toBe('undefined');
    expect(result.after).toBe('undefined');
    expect(result.kinds).toContain(MAJOR);
  });

  it('frees what is no longer referenced', async () => {
    let kept: object | undefined = { payload: new Array(1000).fill('x') };
    const ref = new WeakRef(kept);
    kept = undefined;
    // A WeakRef target stays alive until the end of the current job.
    await new Promise((resolve) => setImmediate(resolve));
    collectGarbage();
    expect(ref.deref()).toBeUndefined();
  });
});
