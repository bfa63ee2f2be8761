import { defineConfig } from 'vitest/config';

// Files named *.solo.test.ts measure time or memory precisely; `npm test` runs them afterwards one
// at a time, alone (and in fresh processes: see `isolate`).
const SOLO = '**/*.solo.test.ts';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time.
    fileParallelism: true,
    // Memory tests collect garbage before reading RSS, so they measure what is kept, not what is pending.
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    // No test run records itself in the repository's own .tokenstorm/history.db; history tests pass --history.
    env: { TOKENSTORM_HISTORY: 'off' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
          exclude: [SOLO],
          // The unit files import much of src/: one module graph per worker instead of one per file
          // halves their wall time (78 s -> 38 s alone on the 2-core box, 2026-12-08); each file
          // still builds its own fixtures (servers on port 0, temporary folders).
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          // test/ (the CLI end to end) and every solo file: each file in a fresh process.
          include: ['test/**/*.test.ts', `src/${SOLO}`],
        },
      },
    ],
  },
});
