/**
 * @module report/html/client-script
 * The page's script (client/charts.ts) as the text the report inlines. `npm run
 * build` bundles it with esbuild beside this module (dist/report/html/client.js);
 * run from the sources (the tests), it is bundled from them by the same script
 * (bin/build-client.cjs), so the page always runs the type-checked code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

let cached: string | undefined;

/** The bundled script, read (or bundled) once per process. */
export function clientScript(): string {
  if (cached === undefined) {
    const built = new URL('./client.js', import.meta.url);
    if (existsSync(built)) cached = readFileSync(built, 'utf8');
    else {
      const require = createRequire(import.meta.url);
      cached = (require('../../../bin/build-client.cjs') as { bundleClient(): string }).bundleClient();
    }
  }
  return cached;
}
