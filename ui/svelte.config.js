// SvelteKit configuration of the web app. A static single-page build (ui/build) that the API
// serves on its own origin; the API's strict CSP allows the one inline bootstrap script by hash.
import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

/** @type {import('@sveltejs/kit').Config} */
const config = {
  preprocess: vitePreprocess(),
  kit: {
    // SPA: every page renders in the browser; index.html is the fallback for every path.
    adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
    // The bootstrap script is allowed by hash in a <meta> CSP. The API's header CSP (api/security.ts,
    // api/static-ui.ts) adds the same hash and governs everything else, styles included.
    csp: {
      mode: 'hash',
      directives: { 'script-src': ['self'], 'object-src': ['none'], 'base-uri': ['self'] },
    },
  },
};

export default config;
