/**
 * Activity factories. Every dependency is passed in, so tests hand over real stores in temp
 * dirs or fakes, and the worker builds the production set once at start.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DocumentError, type DocFormat, DOC_FORMATS } from '../core/formats.js';
import type { ParsedDocument } from '../core/parsed.js';
import { chunkDocument } from '../core/chunking.js';
import type { BlobStore } from '../adapters/blob-store.js';
import type { Catalog } from '../adapters/catalog.js';
import type { Embedder } from '../adapters/embedder.js';
import type { VectorStore } from '../adapters/vector-store.js';
import { chunkPoints } from './points.js';
import {
  chunkGroupKey,
  chunkManifestKey,
  type ChunkManifest,
  ChunkGroupSchema,
  ChunkManifestSchema,
  decodeVectors,
  documentArtifactPrefix,
  encodeVectors,
  ParsedDocumentSchema,
  parsedKey,
  readJsonArtifact,
  vectorsKey,
  type ChunkGroup,
} from './artifacts.js';
import type { IndexActivities, ParseActivities } from './contracts.js';
import { classified } from './failures.js';
import { batchOutcome } from './batch-outcome.js';
import type { BatchStatus } from '../core/progress.js';

/** What the parse step needs from the isolated parser pool. */
export interface DocumentParser {
  parse(filePath: string, format: DocFormat, signal?: AbortSignal): Promise<ParsedDocument>;
}

export interface ParseDeps {
  blobs: BlobStore;
  parser: DocumentParser;
  chunking: { maxTokens: number; overlapTokens: number };
  heartbeatMs?: number;
}

/** Runs `work` while heartbeating, so cancellation and a dead worker are both noticed quickly. */
async function withHeartbeat<T>(everyMs: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

/** Parse and chunk: CPU-bound, served by the parse worker pool. */
export function createParseActivities(deps: ParseDeps): ParseActivities {
  const heartbeatMs = deps.heartbeatMs ?? 5_000;
  return {
    parseDocument: (input) =>
      classified(async () => {
        if (!(DOC_FORMATS as readonly string[]).includes(input.format)) {
          throw new DocumentError('unsupported_type', `format ${input.format} is not supported`);
        }
        const key = parsedKey(documentArtifactPrefix(input.tenantId, input.documentId, input.version));
        if ((await deps.blobs.artifactSize(key)) === null && !(await deps.blobs.hasBlob(input.blobKey))) {
          throw new DocumentError('upload_expired', 'The uploaded file is no longer stored (removed by the retention policy); upload it again.');
        }
        // A retry of a document that got past parsing reuses the stored result instead of parsing again.
        const parsed =
          (await deps.blobs.artifactSize(key)) !== null
            ? await readJsonArtifact(deps.blobs, key, ParsedDocumentSchema)
            : await withHeartbeat(heartbeatMs, async (signal) => {
                // A local file for the parser: the stored file itself on disk, a temporary copy from an object store.
                const file = await deps.blobs.localCopy(input.blobKey);
                const fresh = await deps.parser.parse(file.path, input.format as DocFormat, signal).finally(() => file.release());
                await deps.blobs.writeArtifact(key, JSON.stringify(fresh));
                return fresh;
              });
        const characters = parsed.sections.reduce((n, s) => n + s.text.length, 0);
        return { parsedKey: key, sections: parsed.sections.length, characters };
      }),
    chunkDocument: (input) =>
      classified(async () => {
        const prefix = documentArtifactPrefix(input.tenantId, input.documentId, input.version);
        const chunksKey = `${prefix}/chunks`;
        if ((await deps.blobs.artifactSize(chunkManifestKey(chunksKey))) !== null) {
          const manifest = await readJsonArtifact(deps.blobs, chunkManifestKey(chunksKey), ChunkManifestSchema);
          if (manifest.groupSize === input.groupSize) return { chunksKey, chunkCount: manifest.chunkCount };
        }
        const parsed = await readJsonArtifact(deps.blobs, input.parsedKey, ParsedDocumentSchema);
        const chunks = chunkDocument(parsed, deps.chunking);
        if (chunks.length === 0) {
          throw new DocumentError('no_extractable_text', 'The file contains no text that could be extracted (is it a scan or empty?).');
        }
        for (let start = 0; start < chunks.length; start += input.groupSize) {
          const group: ChunkGroup = chunks.slice(start, start + input.groupSize);
          await deps.blobs.writeArtifact(chunkGroupKey(chunksKey, start), JSON.stringify(group));
        }
        const manifest: ChunkManifest = { chunkCount: chunks.length, groupSize: input.groupSize };
        await deps.blobs.writeArtifact(chunkManifestKey(chunksKey), JSON.stringify(manifest));
        return { chunksKey, chunkCount: chunks.length };
      }),
  };
}

export interface IndexDeps {
  blobs: BlobStore;
  catalog: Catalog;
  embedder: Embedder;
  vectors: VectorStore;
  heartbeatMs?: number;
}

/** Embed, upsert and bookkeeping: I/O-bound, served by the index worker pool. */
export function createIndexActivities(deps: IndexDeps): IndexActivities {
  const heartbeatMs = deps.heartbeatMs ?? 5_000;
  const readGroup = async (chunksKey: string, start: number, end: number): Promise<ChunkGroup> => {
    const group = await readJsonArtifact(deps.blobs, chunkGroupKey(chunksKey, start), ChunkGroupSchema);
    if (group.length !== end - start) throw new Error(`chunk group ${start} has ${group.length} chunks, expected ${end - start}`);
    return group;
  };

  return {
    async loadShardDocuments({ tenantId, batchId, run, offset, limit }) {
      const docs = await deps.catalog.listBatchDocuments(tenantId, batchId, offset, limit, run);
      return docs.map((d) => ({
        documentId: d.id,
        filename: d.filename,
        format: d.format,
        blobKey: d.blobKey,
        version: d.version,
        duplicateOf: d.duplicateOf,
      }));
    },
    embedChunks: (input) =>
      classified(async () => {
        const prefix = documentArtifactPrefix(input.tenantId, input.documentId, input.version);
        const key = vectorsKey(prefix, input.start);
        const dimensions = await deps.embedder.dimensions();
        // Vectors already computed by an earlier attempt or run are reused, never paid for twice.
        if ((await deps.blobs.artifactSize(key)) === (input.end - input.start) * dimensions * Float32Array.BYTES_PER_ELEMENT) {
          return { vectorsKey: key, dimensions };
        }
        const group = await readGroup(input.chunksKey, input.start, input.end);
        const vectors = await withHeartbeat(heartbeatMs, (signal) =>
          deps.embedder.embed(
            group.map((c) => c.text),
            'passage',
            signal,
          ),
        );
        await deps.blobs.writeArtifact(key, encodeVectors(vectors));
        return { vectorsKey: key, dimensions: vectors[0].length };
      }),
    upsertChunks: (input) =>
      classified(async () => {
        const group = await readGroup(input.chunksKey, input.start, input.end);
        const dimensions = await deps.embedder.dimensions();
        const vectors = decodeVectors(await deps.blobs.readArtifact(input.vectorsKey), dimensions);
        if (vectors.length !== group.length) throw new Error(`vectors artifact has ${vectors.length} rows, expected ${group.length}`);
        const points = chunkPoints(input, group, vectors);
        await deps.vectors.ensureCollection(input.tenantId, dimensions);
        await deps.vectors.upsert(input.tenantId, points);
        return { upserted: points.length };
      }),
    async recordOutcomes({ tenantId, outcomes }) {
      await deps.catalog.updateDocuments(
        tenantId,
        outcomes.map((o) => ({
          documentId: o.documentId,
          status: o.status,
          chunks: o.chunks,
          errorCode: o.error?.code ?? null,
          errorMessage: o.error?.message ?? null,
          attempt: o.attempt,
          startedAt: o.startedAt,
          finishedAt: o.finishedAt,
        })),
      );
    },
    async removeDocumentVectors({ tenantId, documentIds }) {
      for (const documentId of documentIds) {
        await deps.vectors.deleteDocument(tenantId, documentId);
        const left = await deps.vectors.countDocument(tenantId, documentId);
        // Verified, not assumed: a retry of this activity runs until the store agrees.
        if (left !== 0) throw new Error(`document ${documentId} still has ${left} vectors after delete`);
      }
    },
    async cancelOpenDocuments({ tenantId, batchId, run }) {
      await deps.catalog.cancelOpenDocuments(tenantId, batchId, run, 'The batch was cancelled before this document was processed.');
    },
    async markBatchRunning({ tenantId, batchId, run }) {
      const batch = await deps.catalog.getBatch(tenantId, batchId);
      if (!batch) throw ApplicationFailure.nonRetryable(`batch ${batchId} is not in the catalog`, 'BatchNotFound');
      if (batch.currentRun !== run) {
        // A reset of an old run must not take the batch back from the newer run that replaced it.
        throw ApplicationFailure.nonRetryable(`run ${run} of batch ${batchId} was superseded by run ${batch.currentRun}`, 'RunSuperseded');
      }
      if (batch.status !== 'running') await deps.catalog.setBatchStatus(tenantId, batchId, 'running');
      return { seqBase: batch.finalSeq ?? 0 };
    },
    async finalizeBatch({ tenantId, batchId, status, finalSeq }) {
      await deps.catalog.setBatchStatus(tenantId, batchId, await batchOutcome(deps.catalog, tenantId, batchId, status as BatchStatus), finalSeq);
    },
  };
}
