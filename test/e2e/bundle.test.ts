/**
 * The CLI runs from dist/bundle/ (bin/bundle.cjs): every thread or process the code starts by a
 * file name next to its own module (`new URL('./x.js', import.meta.url)`) must be an entry of
 * the bundle, or the bundled CLI fails where the compiled tree works.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every `.ts` file under `dir`, tests left out. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('the bundle', () => {
  it('has an entry for every file the code starts beside its own module, and bin runs the bundle', () => {
    const started = new Set<string>();
    for (const file of sources(join(ROOT, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(
        /new URL\('\.\/([\w-]+)\.js', import\.meta\.url\)/g,
      )) {
        started.add(m[1] as string);
      }
    }
    // The report's page script, the entry a test file imports, a mock cluster process, the mock's thread, a worker.
    expect([...started].sort()).toEqual([
      'client',
      'index',
      'mock-cluster-worker',
      'mock-worker',
      'worker-main',
    ]);
    const { ENTRIES } = createRequire(import.meta.url)(join(ROOT, 'bin', 'bundle.cjs')) as {
      ENTRIES: Record<string, string>;
    };
    for (const name of started) {
      if (name !== 'client') expect(Object.keys(ENTRIES)).toContain(name);
      expect(existsSync(join(ROOT, 'dist', 'bundle', `${name}.js`))).toBe(true);
    }
    expect(readFileSync(join(ROOT, 'bin', 'tokenstorm.js'), 'utf8')).toContain("'../dist/bundle/main.js'");
  });
});
