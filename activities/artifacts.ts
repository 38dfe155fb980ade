/**
 * Where each step leaves its output for the next one. Keys are derived from tenant, document
 * and version, so a retried step overwrites its own artifact and never sees another version's.
 * JSON artifacts are read back through zod schemas: a truncated or foreign file fails loudly
 * with its key instead of flowing on as a wrongly typed value.
 */
import { z } from 'zod';
import type { BlobStore } from '../adapters/blob-store.js';
import { DOC_FORMATS } from '../core/formats.js';
import type { Chunk, ParsedDocument } from '../core/parsed.js';

/** Root prefix of one document version's artifacts. */
export function documentArtifactPrefix(tenantId: string, documentId: string, version: number): string {
  return `${tenantId}/${documentId}/v${version}`;
}

export const parsedKey = (prefix: string) => `${prefix}/parsed.json`;
/** Written after every chunk group, so its presence means the chunk step finished. */
export const chunkManifestKey = (chunksKey: string) => `${chunksKey}/manifest.json`;

/** The chunk step's manifest: how many chunks, in groups of how many. */
export const ChunkManifestSchema = z.object({ chunkCount: z.number().int().min(0), groupSize: z.number().int().min(1) });
export type ChunkManifest = z.infer<typeof ChunkManifestSchema>;
export const chunkGroupKey = (chunksKey: string, start: number) => `${chunksKey}/${start}.json`;
/**
 * The stored vectors of one chunk group, per index generation: each generation has its own
 * embedding model, so vectors cached for one must never be read as another's. Generation 1 keeps
 * the key it always had.
 */
export const vectorsKey = (prefix: string, start: number, generation = 1) =>
  generation === 1 ? `${prefix}/vectors/${start}.f32` : `${prefix}/vectors-g${generation}/${start}.f32`;

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

/** The parse step's output, as stored between parse and chunk. */
export const ParsedDocumentSchema = z.object({
  format: z.enum(DOC_FORMATS),
  sections: z.array(
    z.object({
      text: z.string(),
      page: z.number().int().optional(),
      heading: z.string().optional(),
      headingPath: z.array(z.string()).optional(),
      ocrConfidence: z.number().min(0).max(100).optional(),
      sheet: z.string().optional(),
      rowStart: z.number().int().optional(),
      rowEnd: z.number().int().optional(),
    }),
  ),
  pageCount: z.number().int().optional(),
  encoding: z.string().optional(),
}) satisfies z.ZodType<ParsedDocument>;

// Chunk artifacts written before heading paths, OCR confidence and offsets were recorded are
// still read (a retry or a repair may use them within the retention period): they get an empty
// path and no confidence or offsets.
const ChunkSchema = z.object({
  index: z.number().int().min(0),
  text: z.string(),
  tokens: z.number().int().min(0),
  page: z.number().int().nullable(),
  heading: z.string().nullable(),
  headingPath: z.array(z.string()).default([]),
  sheet: z.string().nullable(),
  rowStart: z.number().int().nullable(),
  rowEnd: z.number().int().nullable(),
  ocrConfidence: z.number().min(0).max(100).nullable().default(null),
  charStart: z.number().int().min(0).nullable().default(null),
  charEnd: z.number().int().min(0).nullable().default(null),
}) satisfies z.ZodType<Chunk>;

/** Chunks of one group, as stored by the chunk step. */
export const ChunkGroupSchema = z.array(ChunkSchema);
export type ChunkGroup = Chunk[];

/** Reads a JSON artifact and checks it against `schema`; the error names the key and what is wrong. */
export async function readJsonArtifact<T>(blobs: BlobStore, key: string, schema: z.ZodType<T>): Promise<T> {
  const text = (await blobs.readArtifact(key)).toString('utf8');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new Error(`artifact ${key} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new Error(`artifact ${key} does not have the expected shape: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
