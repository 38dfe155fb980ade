/**
 * Reading an offset-paged list to its end: the one loop background work (outcomes, retention,
 * reconciliation, settling ended runs, progress rebuilds) uses to walk the catalog. Pure, no I/O
 * of its own: the caller passes the function that fetches one page.
 */

/** Rows per page when background work walks the catalog. */
export const CATALOG_PAGE_SIZE = 1_000;

/** Fetches `limit` rows starting at `offset`; fewer than `limit` means the list ended. */
export type PageFetcher<T> = (offset: number, limit: number) => Promise<T[]>;

/** Yields each page in order, stopping after the first short one. */
export async function* pages<T>(fetchPage: PageFetcher<T>, pageSize: number = CATALOG_PAGE_SIZE): AsyncGenerator<T[]> {
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be a positive integer');
  for (let offset = 0; ; offset += pageSize) {
    const page = await fetchPage(offset, pageSize);
    yield page;
    if (page.length < pageSize) return;
  }
}

/** Every row of the list, read page by page. */
export async function readAllPages<T>(fetchPage: PageFetcher<T>, pageSize: number = CATALOG_PAGE_SIZE): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages(fetchPage, pageSize)) for (const row of page) out.push(row);
  return out;
}
