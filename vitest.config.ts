import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own Mosquitto and databases; two cores here.
    pool: 'forks',
    maxWorkers: 3,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
