/**
 * How a document's chunks become vector points. One function, used by the upsert step and by
 * reconciliation when it restores lost points, so a repaired point is identical to the original.
 */
import type { Chunk } from '../core/parsed.js';
import { pointId } from '../core/ids.js';
import type { VectorPoint } from '../adapters/vector-store.js';

export interface PointOwner {
  tenantId: string;
  documentId: string;
  batchId: string;
  version: number;
  filename: string;
}

/** Points for `chunks`, whose vectors are `vectors` row for row. */
export function chunkPoints(owner: PointOwner, chunks: readonly Chunk[], vectors: readonly number[][]): VectorPoint[] {
  if (vectors.length !== chunks.length) throw new Error(`${vectors.length} vectors for ${chunks.length} chunks`);
  return chunks.map((chunk, i) => ({
    id: pointId(owner.tenantId, owner.documentId, owner.version, chunk.index),
    vector: vectors[i],
    payload: {
      tenantId: owner.tenantId,
      documentId: owner.documentId,
      batchId: owner.batchId,
      version: owner.version,
      chunkIndex: chunk.index,
      text: chunk.text,
      filename: owner.filename,
      page: chunk.page,
      heading: chunk.heading,
      headingPath: chunk.headingPath,
      sheet: chunk.sheet,
      rowStart: chunk.rowStart,
      rowEnd: chunk.rowEnd,
      ocrConfidence: chunk.ocrConfidence,
      charStart: chunk.charStart,
      charEnd: chunk.charEnd,
    },
  }));
}
