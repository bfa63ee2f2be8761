import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests measure latency against local servers; running files
    // two at a time keeps a 2-core machine from skewing those measurements.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
