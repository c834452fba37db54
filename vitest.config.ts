import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Ceilings, not budgets: tests wait for conditions, and a loaded machine may start a child
    // engine slowly. A passing test never comes near them.
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // In CI a JSON report is written too, from which `.ci/run` prints its "N passed, M failed" line.
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'vitest.json' },
  },
});
