/** The arithmetic of showing a window of a document's chunks that grows both ways (see document-chunks.svelte.ts). */

export const CHUNK_PAGE_SIZE = 25;

/** Where the page holding chunk `index` starts: pages are aligned, so a link to chunk 60 shows 50–74. */
export function pageStartFor(index: number, size = CHUNK_PAGE_SIZE): number {
  return Math.max(0, Math.floor(index / size) * size);
}

/** Where the page before a window starting at `first` starts. */
export function previousPageStart(first: number, size = CHUNK_PAGE_SIZE): number {
  return Math.max(0, first - size);
}

/** The window with an earlier page put in front; chunks already shown are not shown twice. */
export function withEarlierPage<T extends { index: number }>(shown: readonly T[], page: readonly T[], first: number): T[] {
  return [...page.filter((c) => c.index < first), ...shown];
}
