/**
 * @module core/package-root
 * Where the running tokenstorm's files are, from any module of it: the package
 * folder (with dist/, schema/ and package.json) and whether the code runs from
 * the bundle (dist/bundle/), the compiled tree (dist/) or the sources (src/,
 * under the tests). Why: a module's own URL says where its siblings are only
 * in the compiled tree; in the bundle every module is one chunk of a folder.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder of the module at `moduleUrl`: the nearest folder above it whose package.json names tokenstorm. */
export function packageRoot(moduleUrl: string): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'tokenstorm')
          return dir;
      } catch {
        // Not ours (or unreadable): go on up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`tokenstorm: no package folder above ${fileURLToPath(moduleUrl)}`);
    dir = parent;
  }
}

/** Whether the module at `moduleUrl` is part of the bundle (dist/bundle/, made by bin/bundle.cjs). */
export function inBundle(moduleUrl: string): boolean {
  return basename(dirname(fileURLToPath(moduleUrl))) === 'bundle';
}
