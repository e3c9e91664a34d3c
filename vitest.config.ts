import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**'],
    // better-sqlite3 can crash when a worker thread exits: keep the default forks pool.
    pool: 'forks',
    testTimeout: 20000,
    hookTimeout: 30000,
  },
});
