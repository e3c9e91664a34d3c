import { defineConfig } from 'vitest/config';

// Real-browser tests (npm run test:e2e): one file at a time, since each drives its own Chromium on 2 cores.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    // better-sqlite3 can crash when a worker thread exits: keep the default forks pool.
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120000,
    hookTimeout: 120000,
  },
});
