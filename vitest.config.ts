import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two files at a time. Files named *.solo.test.ts measure time or memory
    // precisely; `npm test` runs them afterwards one at a time, alone.
    fileParallelism: true,
    // Memory tests collect garbage before reading RSS, so they measure what is kept, not what is pending.
    execArgv: ['--expose-gc'],
    maxWorkers: 2,
    // No test run records itself in the repository's own .tokenstorm/history.db; history tests pass --history.
    env: { TOKENSTORM_HISTORY: 'off' },
  },
});
