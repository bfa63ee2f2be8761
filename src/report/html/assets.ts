/**
 * @module report/html/assets
 * The bundled chart library: uPlot's script and stylesheet, read from the
 * installed package at render time and inlined, so the report opens offline.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface ChartLibrary {
  script: string;
  css: string;
}

let cached: ChartLibrary | undefined;

/** uPlot's minified IIFE (defines `uPlot`) and its CSS; read once per process. */
export function chartLibrary(): ChartLibrary {
  if (cached === undefined) {
    const require = createRequire(import.meta.url);
    const dist = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
    cached = {
      script: readFileSync(join(dist, 'uPlot.iife.min.js'), 'utf8'),
      css: readFileSync(join(dist, 'uPlot.min.css'), 'utf8'),
    };
  }
  return cached;
}
