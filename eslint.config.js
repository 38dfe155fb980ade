// ESLint for the whole repository: TypeScript everywhere (typescript-eslint, syntax rules only,
// so a run stays fast on small machines; `tsc -p .` and svelte-check do the type checking),
// and the web app's Svelte components (eslint-plugin-svelte, with the TypeScript parser for
// <script lang="ts">). Formatting is Prettier's business (`npm run lint` runs both).
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';

export default ts.config(
  {
    ignores: ['**/node_modules/', 'ui/build/', 'ui/.svelte-kit/', '.venv/', '.data/', '.test-data/', '.tmp/', 'test-results/', 'bench/out/', 'chaos/results/'],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      // `_name` marks a parameter a signature needs but the body does not.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Declaration merging (vitest's ProvidedContext) is an interface that only extends another.
      '@typescript-eslint/no-empty-object-type': ['error', { allowInterfaces: 'with-single-extends' }],
      // Filenames, decoded text and SSE data are cleaned of control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['ui/**/*.ts', 'ui/**/*.svelte'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } },
    // The app is served at the origin's root (no `paths.base`), so plain hrefs are already resolved.
    rules: { 'svelte/no-navigation-without-resolve': 'off' },
  },
  {
    // Tests read untyped JSON answers and poke at internals; `any` there is a convenience, not a leak.
    files: ['**/*.test.ts', 'test/**/*.ts', 'chaos/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
