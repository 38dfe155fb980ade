// Vite config of the web app. `npm run ui:dev` serves it with hot reload and proxies /api
// (including the SSE streams) to the API on 127.0.0.1:8080, so the cookie stays same-origin.
import { sveltekit } from '@sveltejs/kit/vite';
import path from 'node:path';
import { defineConfig } from 'vite';

const apiTarget = process.env.DOCFLOW_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: { '/api': { target: apiTarget, changeOrigin: false } },
    // Only what the app needs: its own sources, the shared contract in ../core and the
    // dependencies in ../node_modules. Never the repository root, which holds .data/ secrets.
    fs: { allow: [import.meta.dirname, ...['core', 'node_modules'].map((dir) => path.resolve(import.meta.dirname, '..', dir))] },
  },
});
