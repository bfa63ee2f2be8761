#!/usr/bin/env node
// Bundles the report page's script (src/report/html/client/charts.ts, browser code) into
// one ES2017 script and writes it to dist/report/html/client.js, which the report inlines
// (src/report/html/client-script.ts). Run by `npm run build`; needs esbuild (a devDependency).
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ENTRY = join(__dirname, '..', 'src', 'report', 'html', 'client', 'charts.ts');
const OUT = join(__dirname, '..', 'dist', 'report', 'html', 'client.js');

/** The page's script as one IIFE: no imports, nothing global but what it reads (`uPlot`, the DOM). */
function bundleClient() {
  const { buildSync } = require('esbuild');
  const result = buildSync({
    entryPoints: [ENTRY],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2017',
    charset: 'utf8',
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

module.exports = { bundleClient };

if (require.main === module) {
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, bundleClient());
}
