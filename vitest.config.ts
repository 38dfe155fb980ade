import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vitest/config';

// Two projects: fast unit tests with no servers, and integration tests that run against the
// real Temporal dev server and embedding server started once by test/global-setup.ts.
export default defineConfig({
  test: {
    projects: [
      {
        // Compiles the web app's rune modules (*.svelte.ts), so their classes are unit tested as they run.
        plugins: [svelte({ configFile: false })],
        test: {
          name: 'unit',
          // ui/: the web app's pure modules, and svelte-check over the whole app (ui/svelte-check.test.ts).
          include: ['{core,workflows,activities,adapters,worker,api,runtime,scripts,temporal,test,chaos,ui}/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**', 'ui/build/**', 'ui/.svelte-kit/**'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'integration',
          // test/browser/: the web app in Chromium against the real stack.
          include: ['{core,workflows,activities,adapters,worker,api,runtime,scripts,temporal,test,chaos}/**/*.int.test.ts'],
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
