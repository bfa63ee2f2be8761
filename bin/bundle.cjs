#!/usr/bin/env node
// Bundles what the CLI runs (dist/, compiled by tsc, and the packages it imports) into
// dist/bundle/: one file per thread entry (the CLI, a load worker, the embedded mock's
// thread, a mock cluster process, the library entry a test file imports) and chunks they
// share. Why: Node 20 loads ~320 separate ES modules for a run, and resolving, reading and
// linking them was a third of each thread's start-up (docs/design/2026-12-08-bundle.md).
// Run by `npm run build` after tsc; needs esbuild (a devDependency). The compiled dist/
// stays: it holds the types, and tests import modules from it.
const { copyFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist');
const OUT = join(DIST, 'bundle');

/**
 * The entries, named as the code that starts them refers to them: `new URL('./worker-main.js',
 * import.meta.url)` in a chunk of dist/bundle/ finds dist/bundle/worker-main.js.
 */
const ENTRIES = {
  main: 'cli/main.js',
  index: 'index.js',
  'worker-main': 'engine/worker-main.js',
  'mock-worker': 'sim/mock-worker.js',
  'mock-cluster-worker': 'sim/mock-cluster-worker.js',
};

/**
 * Packages left to Node at run time: node-sqlite3-wasm reads its .wasm beside it, jiti is
 * loaded only for a TypeScript test. (Packages required through `createRequire` — the
 * tokenizer's data, hdr-histogram-js's parts, ajv — are not seen by esbuild and stay too.)
 */
const EXTERNAL = ['node-sqlite3-wasm', 'jiti'];

function bundle() {
  const { buildSync } = require('esbuild');
  rmSync(OUT, { recursive: true, force: true });
  buildSync({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(DIST, file)])),
    outdir: OUT,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    // CommonJS packages bundled into ES modules call `require` for Node's built-ins.
    banner: {
      js: "import { createRequire as __tokenstormCreateRequire } from 'node:module'; const require = __tokenstormCreateRequire(import.meta.url);",
    },
    // Maps back to src/ through tsc's maps; read only under `node --enable-source-maps`.
    sourcemap: 'linked',
    legalComments: 'linked',
    charset: 'utf8',
    logLevel: 'warning',
  });
  // The report page's script, read beside the module that inlines it (report/html/client-script).
  copyFileSync(join(DIST, 'report', 'html', 'client.js'), join(OUT, 'client.js'));
}

module.exports = { bundle, ENTRIES };

if (require.main === module) bundle();
