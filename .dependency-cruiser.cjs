/**
 * The import rules of src/ (docs/architecture.md, "Folders"): no cycles, type-only
 * imports included, and no arrow against the pipeline. Run by `npm run lint`.
 * Tests may import from any layer to build their fixtures, but never form a cycle.
 */
const NOT_TEST = '\\.test\\.ts$';
const layer = (name, from, to, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/(${from})/`, pathNot: NOT_TEST },
  to: { path: `^src/(${to})/` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle between modules (type-only imports count): see docs/architecture.md.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('core-is-a-leaf', 'core', '(?!core/)[^/]+', 'core/ imports no other folder of src/.'),
    layer('random-below-all', 'random', '(?!(core|random)/)[^/]+', 'random/ imports only core/.'),
    layer(
      'protocols-not-load',
      'protocols',
      'load',
      "protocols/ send steps; when iterations start is load/'s.",
    ),
    layer(
      'load-not-protocols',
      'load',
      'protocols',
      'load/ starts iterations; what they send is not its business.',
    ),
    layer(
      'analysis-not-engine-or-report',
      'analysis',
      'engine|report',
      'analysis/ judges summaries; it neither runs nor renders.',
    ),
    layer(
      'metrics-not-report',
      'metrics',
      'report',
      "metrics/ aggregates records; rendering them is report/'s.",
    ),
    layer(
      'sim-not-engine',
      'sim',
      'engine',
      'sim/ is a server under test; the engine may start it, not the reverse.',
    ),
    layer(
      'features-not-config',
      'core|random|metrics|store|protocols|load|workload|sim|analysis|report',
      'config',
      "config/ composes the features' schemas; a feature owns its schema and never imports config/.",
    ),
    {
      name: 'tokenizer-loaded-lazily',
      comment:
        "gpt-tokenizer's tables cost every thread that evaluates them ~50-70 MB and ~0.2 s: src/ never imports the package (core/tokenizer.ts reads its data file on first use, see tokenizer-tables-private; its split regex is a small module of its own).",
      severity: 'error',
      from: { path: '^src/', pathNot: NOT_TEST },
      to: { path: 'node_modules/gpt-tokenizer/', pathNot: 'encodingParams/constants' },
    },
    {
      name: 'tokenizer-tables-private',
      comment:
        "Our own tables cost a thread ~3 MB and ~50 ms: only the tokenizer's own files (core/tokenizer.ts, which builds them on a thread's first tokenizer() call, core/tokenizer-*.ts and core/tiktoken.ts) import the modules that read or build them.",
      severity: 'error',
      from: { path: '^src/', pathNot: [NOT_TEST, '^src/core/(tiktoken|tokenizer|tokenizer-[a-z]+)\\.ts$'] },
      to: { path: '^src/core/(tiktoken|tokenizer-[a-z]+)\\.ts$' },
    },
    {
      name: 'page-script-stands-alone',
      comment:
        'report/html/client/ runs in the browser: it imports only its own folder (and types of uplot).',
      severity: 'error',
      from: { path: '^src/report/html/client/' },
      to: { path: '^src/', pathNot: '^src/report/html/client/' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is the top: nothing imports it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
    // node_modules are listed (for tokenizer-loaded-lazily), never followed.
    exclude: { path: '^dist/' },
  },
};
