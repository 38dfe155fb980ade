// A single-page app: everything renders in the browser, the API serves index.html for any path.
export const ssr = false;
export const prerender = false;
