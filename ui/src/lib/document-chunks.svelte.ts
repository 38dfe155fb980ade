/**
 * The chunks of one document, read a page at a time from `GET /api/documents/{id}/chunks`. A
 * view can start in the middle (at the page holding a chunk a search result pointed at) and
 * grow both ways: earlier pages are put in front, later ones behind.
 */
import type { ChunkView } from '../../../core/contracts.js';
import { api } from './api.js';
import { CHUNK_PAGE_SIZE, pageStartFor, previousPageStart, withEarlierPage } from './chunk-window.js';

export class DocumentChunks {
  chunks = $state<ChunkView[]>([]);
  /** Chunks the document has in all. */
  total = $state(0);
  /** Index of the first chunk shown; earlier ones can be loaded while it is above 0. */
  first = $state(0);
  nextCursor = $state<string | null>(null);
  loading = $state(true);
  error = $state<unknown>(null);

  constructor(private readonly documentId: string) {}

  /** Loads the page that holds chunk `around` (the first page by default), replacing what is shown. */
  async start(around = 0): Promise<void> {
    const from = pageStartFor(around);
    await this.read(from, (page) => {
      this.chunks = page;
      this.first = from;
    });
  }

  /** Adds the next page behind the chunks shown. */
  async later(): Promise<void> {
    if (this.nextCursor === null) return;
    await this.read(Number(this.nextCursor), (page) => (this.chunks = [...this.chunks, ...page]));
  }

  /** Adds the page before the first chunk shown. */
  async earlier(): Promise<void> {
    if (this.first === 0) return;
    const from = previousPageStart(this.first);
    const keepNext = this.nextCursor;
    await this.read(from, (page) => {
      this.chunks = withEarlierPage(this.chunks, page, this.first);
      this.first = from;
    });
    this.nextCursor = keepNext; // reading an earlier page says nothing about what follows the last one
  }

  private async read(from: number, place: (page: ChunkView[]) => void): Promise<void> {
    this.loading = true;
    this.error = null;
    try {
      const answer = await api.documentChunks(this.documentId, { cursor: String(from), limit: CHUNK_PAGE_SIZE });
      this.total = answer.chunkCount;
      this.nextCursor = answer.nextCursor;
      place(answer.chunks);
    } catch (err) {
      this.error = err;
    } finally {
      this.loading = false;
    }
  }
}
