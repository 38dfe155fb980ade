import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests with no servers, and integration tests that run against the
// real Temporal dev server and embedding server started once by test/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['{core,workflows,activities,worker,api,runtime,scripts,temporal,test}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['{core,workflows,activities,worker,api,runtime,scripts,temporal,test}/**/*.int.test.ts'],
          exclude: ['**/node_modules/**'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
