/**
 * Where each step leaves its output for the next one. Keys are derived from tenant, document
 * and version, so a retried step overwrites its own artifact and never sees another version's.
 */
import type { Chunk } from '../core/parsed.js';

/** Root prefix of one document version's artifacts. */
export function documentArtifactPrefix(tenantId: string, documentId: string, version: number): string {
  return `${tenantId}/${documentId}/v${version}`;
}

export const parsedKey = (prefix: string) => `${prefix}/parsed.json`;
/** Written after every chunk group, so its presence means the chunk step finished. */
export const chunkManifestKey = (chunksKey: string) => `${chunksKey}/manifest.json`;

export interface ChunkManifest {
  chunkCount: number;
  groupSize: number;
}
export const chunkGroupKey = (chunksKey: string, start: number) => `${chunksKey}/${start}.json`;
export const vectorsKey = (prefix: string, start: number) => `${prefix}/vectors/${start}.f32`;

/** Vectors travel between embed and upsert as raw float32, row after row. */
export function encodeVectors(vectors: number[][]): Uint8Array {
  const dims = vectors[0]?.length ?? 0;
  const out = new Float32Array(vectors.length * dims);
  vectors.forEach((v, i) => out.set(v, i * dims));
  return new Uint8Array(out.buffer);
}

export function decodeVectors(bytes: Buffer, dimensions: number): number[][] {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const rows: number[][] = [];
  for (let offset = 0; offset < floats.length; offset += dimensions) rows.push(Array.from(floats.subarray(offset, offset + dimensions)));
  return rows;
}

/** Chunks of one group, as stored by the chunk step. */
export type ChunkGroup = Chunk[];
