/** Where sign-in sends a person, and back: kept apart from the pages so it can be tested alone. */

/** /login with `next` set to where the person was going (nothing for the home page). */
export function loginPath(url: URL): string {
  const next = url.pathname + url.search;
  return `/login${next !== '/' ? `?next=${encodeURIComponent(next)}` : ''}`;
}

/** The `next` of a /login URL; only same-app paths, so a crafted ?next= cannot send the person elsewhere. */
export function safeNext(url: URL): string {
  const value = url.searchParams.get('next') ?? '/';
  return value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}
