/**
 * The document inspector's read: one page of the chunks search answers from for a document,
 * with their text, size and provenance. The chunks come from the vector store's payloads,
 * which live as long as the document is indexed (the chunk artifacts are removed by retention
 * after a few days), and always from the version on the document's record, the one search
 * uses; chunks of a version being built or being removed are never shown.
 */
import type { DocumentRecord } from '../adapters/catalog.js';
import type { PointPayload, VectorStore } from '../adapters/vector-store.js';
import type { ChunkView, DocumentChunksResponse } from '../core/contracts.js';
import { estimateTokens } from '../core/token-estimate.js';

/** Page size and cursor as the route validated them; the cursor is the index of the first chunk. */
export interface ChunkPageQuery {
  limit: number;
  cursor?: string;
}

function chunkView(p: PointPayload): ChunkView {
  const { chunkIndex, text, tenantId: _t, documentId: _d, batchId: _b, version: _v, filename: _f, ...provenance } = p;
  // The chunker's own count is this estimate of this text, so computing it again gives the
  // same number without storing it with every vector.
  return { index: chunkIndex, text, tokens: estimateTokens(text), ...provenance };
}

/** One page of `doc`'s chunks; a document that is not indexed has none. */
export async function documentChunkPage(vectors: VectorStore, doc: DocumentRecord, query: ChunkPageQuery): Promise<DocumentChunksResponse> {
  const chunkCount = doc.status === 'indexed' ? doc.chunks : 0;
  const from = Number(query.cursor ?? 0);
  const chunks = from < chunkCount ? await vectors.documentChunks(doc.tenantId, doc.id, doc.activeVersion, from, Math.min(query.limit, chunkCount - from)) : [];
  return {
    documentId: doc.id,
    version: doc.activeVersion,
    chunkCount,
    chunks: chunks.map(chunkView),
    nextCursor: from + query.limit < chunkCount ? String(from + query.limit) : null,
  };
}
