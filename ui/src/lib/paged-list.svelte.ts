/**
 * A list read page by page from one of the API's cursor-paged routes (batches, documents):
 * the items so far, whether more exist, and the loading and error states the page shows.
 */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export class PagedList<T> {
  items = $state<T[]>([]);
  cursor = $state<string | null>(null);
  loading = $state(true);
  error = $state<unknown>(null);

  /** `fetchPage(cursor)` reads one page; no cursor means the first. */
  constructor(private readonly fetchPage: (cursor: string | undefined) => Promise<Page<T>>) {}

  /** Reloads from the first page, or with `append` adds the next page to what is shown. */
  async load(append = false): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const page = await this.fetchPage(append ? (this.cursor ?? undefined) : undefined);
      this.items = append ? [...this.items, ...page.items] : page.items;
      this.cursor = page.nextCursor;
    } catch (err) {
      this.error = err;
    } finally {
      this.loading = false;
    }
  }
}
