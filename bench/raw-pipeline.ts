/**
 * The benchmark's baseline: the same parse, chunk, embed and upsert functions the activities
 * use (the isolated parse pool, the chunker, the `openai`-client embedder, the vector store and
 * the same point builder), called in a plain in-process loop with the same grouping and the same
 * concurrency as the orchestrated run: documents prepared in groups, chunks embedded and written
 * in packs across documents. No API, no Temporal, no artifacts between steps. Orchestrated time
 * divided by this is what the orchestration costs.
 */
import { chunkPoints } from '../activities/points.js';
import type { DocumentParser } from '../activities/index.js';
import type { Embedder } from '../adapters/embedder.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { chunkDocument, type ChunkOptions } from '../core/chunking.js';
import type { DocFormat } from '../core/formats.js';
import type { Chunk } from '../core/parsed.js';

/** One stored file to index. */
export interface RawDocument {
  documentId: string;
  filename: string;
  path: string;
  format: DocFormat;
}

export interface RawOptions {
  tenantId: string;
  documents: RawDocument[];
  parser: DocumentParser;
  embedder: Embedder;
  vectors: VectorStore;
  chunking: ChunkOptions;
  /** Documents per prepare group, and groups at once. */
  documentsPerGroup: number;
  groupLanes: number;
  /** Chunks per stored group (a pack is made of whole groups), chunks per pack, and packs at once. */
  chunksPerStep: number;
  chunksPerPack: number;
  packLanes: number;
}

interface Range {
  doc: RawDocument;
  chunks: Chunk[];
}

/** Indexes every document; resolves with the number of chunks written. Throws on the first failure. */
export async function runRaw(o: RawOptions): Promise<{ chunks: number; failed: number }> {
  const queue = [...o.documents];
  const ranges: Range[] = [];
  let preparing = o.documents.length;
  let written = 0;
  let failed = 0;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const dimensions = await o.embedder.dimensions();
  await o.vectors.ensureCollection(o.tenantId, dimensions);

  const prepareLane = async () => {
    while (queue.length > 0) {
      const group = queue.splice(0, o.documentsPerGroup);
      await Promise.all(
        group.map(async (doc) => {
          try {
            const parsed = await o.parser.parse(doc.path, doc.format);
            const chunks = chunkDocument(parsed, o.chunking);
            for (let start = 0; start < chunks.length; start += o.chunksPerStep) ranges.push({ doc, chunks: chunks.slice(start, start + o.chunksPerStep) });
          } catch {
            failed++; // a document's own failure, as in the orchestrated run: it ends, the rest goes on
          } finally {
            preparing--;
            notify();
          }
        }),
      );
    }
  };

  const packLane = async () => {
    for (;;) {
      while (ranges.length === 0 && preparing > 0) await new Promise<void>((resolve) => (wake = chain(wake, resolve)));
      if (ranges.length === 0) return;
      const pack: Range[] = [];
      let size = 0;
      while (ranges.length > 0 && (pack.length === 0 || size + ranges[0].chunks.length <= o.chunksPerPack)) {
        const next = ranges.shift()!;
        pack.push(next);
        size += next.chunks.length;
      }
      const vectors = await o.embedder.embed(
        pack.flatMap((r) => r.chunks.map((c) => c.text)),
        'passage',
      );
      let at = 0;
      const points = pack.flatMap((r) => {
        const own = vectors.slice(at, at + r.chunks.length);
        at += r.chunks.length;
        return chunkPoints({ tenantId: o.tenantId, documentId: r.doc.documentId, batchId: 'raw', version: 1, filename: r.doc.filename }, r.chunks, own);
      });
      await o.vectors.upsert(o.tenantId, points);
      written += points.length;
    }
  };

  await Promise.all([...Array.from({ length: o.groupLanes }, prepareLane), ...Array.from({ length: o.packLanes }, packLane)]);
  return { chunks: written, failed };
}

/** Several lanes may wait at once: each waiter is woken. */
function chain(previous: (() => void) | null, next: () => void): () => void {
  return () => {
    previous?.();
    next();
  };
}
