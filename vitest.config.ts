import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Training tests on the real data take tens of seconds on these 2-core machines.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // The JSON report is what .ci/run sums with the other runners.
    reporters: ['default', ['json', { outputFile: 'test-output/vitest.json' }]],
  },
});
