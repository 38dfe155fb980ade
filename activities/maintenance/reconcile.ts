/**
 * Reconciliation of one tenant: the catalog says which documents are indexed, at which active
 * version and with how many chunks; the vector store must hold exactly those points, plus the
 * points of a version a re-index is building (the re-index run owns those, and removes them if
 * it fails). Orphans (points of deleted, failed or cancelled documents, or of any other version,
 * such as one a re-index replaced) are removed; missing points of an indexed document's active
 * version are restored from its stored chunks and vectors, re-embedding a group only when its
 * vectors artifact is gone. A document that cannot be restored (its artifacts expired) is marked
 * failed, so no document ever claims `indexed` without its vectors.
 */
import type { BlobStore } from '../../adapters/blob-store.js';
import type { Catalog, DocumentRecord } from '../../adapters/catalog.js';
import type { TenantSpaces } from '../../adapters/index-spaces.js';
import type { PointRef, VectorStore } from '../../adapters/vector-store.js';
import { isTerminalDocument } from '../../core/progress.js';
import type { z } from 'zod';
import {
  ChunkGroupSchema,
  chunkGroupKey,
  ChunkManifestSchema,
  chunkManifestKey,
  decodeVectors,
  documentArtifactPrefix,
  encodeVectors,
  readJsonArtifact,
  vectorsKey,
} from '../artifacts.js';
import { chunkPoints } from '../points.js';
import { pages } from '../../core/paging.js';

export interface ReconcileDeps {
  catalog: Catalog;
  /** Routed by index space: the active space is read, deletes reach every space holding points. */
  vectors: VectorStore;
  blobs: BlobStore;
  /** The active space's collection and model: lost points are restored there, with its vectors. */
  spaces: Pick<TenantSpaces, 'active'>;
}

export interface ReconcileReport {
  tenantId: string;
  documentsChecked: number;
  /** Points whose document is gone or not indexed. */
  orphanPointsRemoved: number;
  /** Points of an indexed document's version that is neither active nor being built, or beyond its chunk count. */
  stalePointsRemoved: number;
  documentsRepaired: number;
  pointsRestored: number;
  /** Indexed documents whose lost points could not be rebuilt; now marked failed. */
  documentsMarkedFailed: string[];
}

export const UNREPAIRABLE_MESSAGE = 'Its vectors were lost and its intermediate files have expired, so they could not be rebuilt. Retry the document to index it again.';

async function allDocuments(catalog: Catalog, tenantId: string): Promise<Map<string, DocumentRecord>> {
  const out = new Map<string, DocumentRecord>();
  for await (const page of pages((offset, limit) => catalog.listDocuments(tenantId, { limit, offset }))) for (const doc of page) out.set(doc.id, doc);
  return out;
}

/** The version a re-index is building for this document, if any: its points are not orphans. */
function versionBeingBuilt(doc: DocumentRecord): number | null {
  return doc.pendingVersion !== null && doc.pendingVersion > doc.activeVersion ? doc.pendingVersion : null;
}

/**
 * Whether a point of an indexed document belongs in its index: its active version within the
 * chunk count, or the version being built. Also what an embedding-model switch prunes its new space by.
 */
export function belongsToIndex(doc: DocumentRecord, point: PointRef): boolean {
  return (point.version === doc.activeVersion && point.chunkIndex < doc.chunks) || point.version === versionBeingBuilt(doc);
}

async function readJson<T>(blobs: BlobStore, key: string, schema: z.ZodType<T>): Promise<T | null> {
  if ((await blobs.artifactSize(key)) === null) return null;
  return readJsonArtifact(blobs, key, schema);
}

/**
 * Rebuilds the missing chunk indexes of one indexed document from its artifacts.
 * Returns the number of points written, or null when the artifacts needed are gone.
 */
async function restorePoints(deps: ReconcileDeps, doc: DocumentRecord, missing: number[]): Promise<number | null> {
  const prefix = documentArtifactPrefix(doc.tenantId, doc.id, doc.activeVersion);
  const chunksKey = `${prefix}/chunks`;
  const manifest = await readJson(deps.blobs, chunkManifestKey(chunksKey), ChunkManifestSchema);
  if (!manifest || manifest.chunkCount !== doc.chunks) return null;
  const space = await deps.spaces.active(doc.tenantId);
  const dimensions = await space.embedder.dimensions();
  const wanted = new Set(missing);
  let restored = 0;
  for (let start = 0; start < manifest.chunkCount; start += manifest.groupSize) {
    const end = Math.min(start + manifest.groupSize, manifest.chunkCount);
    if (!missing.some((i) => i >= start && i < end)) continue;
    const group = await readJson(deps.blobs, chunkGroupKey(chunksKey, start), ChunkGroupSchema);
    if (!group || group.length !== end - start) return null;
    const key = vectorsKey(prefix, start, space.generation);
    let vectors: number[][];
    if ((await deps.blobs.artifactSize(key)) === group.length * dimensions * Float32Array.BYTES_PER_ELEMENT) {
      vectors = decodeVectors(await deps.blobs.readArtifact(key), dimensions);
    } else {
      vectors = await space.embedder.embed(
        group.map((c) => c.text),
        'passage',
      );
      await deps.blobs.writeArtifact(key, encodeVectors(vectors));
    }
    const points = chunkPoints({ tenantId: doc.tenantId, documentId: doc.id, batchId: doc.batchId, version: doc.activeVersion, filename: doc.filename }, group, vectors).filter(
      (p) => wanted.has(p.payload.chunkIndex),
    );
    await space.vectors.ensureCollection(doc.tenantId, dimensions);
    await space.vectors.upsert(doc.tenantId, points);
    restored += points.length;
  }
  return restored;
}

/** Reconciles one tenant's catalog and vector collection; `heartbeat` is called as work advances. */
export async function reconcileTenant(deps: ReconcileDeps, tenantId: string, heartbeat: () => void = () => {}): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    tenantId,
    documentsChecked: 0,
    orphanPointsRemoved: 0,
    stalePointsRemoved: 0,
    documentsRepaired: 0,
    pointsRestored: 0,
    documentsMarkedFailed: [],
  };
  // Points first, then documents: a document is recorded before its first point is written, so
  // every point in this snapshot has its document in the later listing unless it was deleted.
  const refs = await deps.vectors.listPointRefs(tenantId);
  const documents = await allDocuments(deps.catalog, tenantId);
  const pointsOf = new Map<string, PointRef[]>();
  for (const ref of refs) {
    const list = pointsOf.get(ref.documentId) ?? [];
    list.push(ref);
    pointsOf.set(ref.documentId, list);
  }

  const orphanIds: string[] = [];
  const staleIds: string[] = [];
  for (const [documentId, points] of pointsOf) {
    const doc = documents.get(documentId);
    // Documents still moving through a run are the workflow's business, not ours.
    if (doc && !isTerminalDocument(doc.status)) continue;
    if (!doc || doc.status !== 'indexed') {
      orphanIds.push(...points.map((p) => p.id));
      continue;
    }
    staleIds.push(...points.filter((p) => !belongsToIndex(doc, p)).map((p) => p.id));
  }
  await deps.vectors.deletePoints(tenantId, orphanIds);
  await deps.vectors.deletePoints(tenantId, staleIds);
  report.orphanPointsRemoved = orphanIds.length;
  report.stalePointsRemoved = staleIds.length;
  heartbeat();

  for (const doc of documents.values()) {
    report.documentsChecked++;
    if (doc.status !== 'indexed') continue;
    const present = new Set((pointsOf.get(doc.id) ?? []).filter((p) => p.version === doc.activeVersion).map((p) => p.chunkIndex));
    const missing: number[] = [];
    for (let i = 0; i < doc.chunks; i++) if (!present.has(i)) missing.push(i);
    if (missing.length === 0) continue;
    const restored = await restorePoints(deps, doc, missing);
    heartbeat();
    if (restored !== null) {
      report.documentsRepaired++;
      report.pointsRestored += restored;
      continue;
    }
    // A re-index is replacing this version: its run decides, and removing every point now would take the new version's too.
    if (versionBeingBuilt(doc) !== null) continue;
    await deps.vectors.deleteDocument(tenantId, doc.id);
    await deps.catalog.updateDocuments(tenantId, [
      {
        documentId: doc.id,
        status: 'failed',
        chunks: 0,
        errorCode: 'internal_error',
        errorMessage: UNREPAIRABLE_MESSAGE,
        attempt: doc.attempt,
        startedAt: doc.startedAt,
        finishedAt: doc.finishedAt,
      },
    ]);
    report.documentsMarkedFailed.push(doc.id);
  }
  return report;
}
